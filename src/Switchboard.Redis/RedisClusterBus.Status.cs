using StackExchange.Redis;

namespace Switchboard.Redis;

/// <summary>
/// What a readiness check needs to know about the node (docs/operations.md): has it joined, is its
/// lease fresh, which server does it talk to; and the backoff of its first attempts to join.
/// </summary>
public sealed partial class RedisClusterBus
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(5);

    // Timestamp (TimeProvider) of the last lease renewal Redis confirmed; 0 before the first.
    private long _renewedAt;

    // Completed (and replaced) each time the connection to Redis comes up, to cut a retry wait short.
    private TaskCompletionSource _connectionUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the node has joined: inbox subscribed and lease taken (<see cref="Ready"/> completed).</summary>
    public bool Joined => _ready.Task.IsCompleted;

    /// <summary>
    /// How long ago Redis last confirmed this node's lease, or null before the first time. Past
    /// <see cref="RedisClusterOptions.NodeLease"/> the other nodes no longer count this one.
    /// </summary>
    public TimeSpan? SinceLeaseRenewed =>
        Interlocked.Read(ref _renewedAt) is var at and not 0 ? _options.Store.TimeProvider.GetElapsedTime(at) : null;

    /// <summary>The lease the node renews (<see cref="RedisClusterOptions.NodeLease"/>).</summary>
    public TimeSpan NodeLease => _options.NodeLease;

    /// <summary>
    /// The Redis server commands go to: the connected primary, or the configured endpoints when none is
    /// connected. Never includes a password.
    /// </summary>
    public string Endpoint => RedisFailure.Primary(_redis) ?? RedisFailure.Endpoints(_redis);

    /// <summary>Asks Redis for a round trip (PING); throws when it cannot be reached.</summary>
    public Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default) => _database.PingAsync().WaitAsync(cancellationToken);

    /// <summary>0.5 s, 1 s, 2 s, 4 s, then every 5 s.</summary>
    private static TimeSpan StartBackoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(LongestRetry.Ticks, FirstRetry.Ticks << Math.Min(attempt - 1, 10)));

    /// <summary>Waits <paramref name="wait"/> or until the connection comes up; false once the bus stops.</summary>
    private async Task<bool> WaitForRetryAsync(TimeSpan wait)
    {
        var up = Volatile.Read(ref _connectionUp).Task;
        try
        {
            await Task.WhenAny(up, Task.Delay(wait, _options.Store.TimeProvider, _stopping.Token)).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return !_stopping.IsCancellationRequested;
    }
}
