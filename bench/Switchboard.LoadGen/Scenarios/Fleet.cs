using Switchboard.LoadGen.Clients;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>
/// A set of clients opened together, with bounded parallelism: connect, handshake, optionally join a
/// room each. Keeps idle SignalR clients alive (their protocol wants a client ping every 15 s).
/// </summary>
internal sealed class Fleet : IDisposable
{
    private readonly Timer? _keepAlive;
    private readonly Counters? _counters;
    private int _failures;
    private string? _firstError;

    private Fleet(BenchClient[] clients, Counters? counters, bool keepAlive)
    {
        Clients = clients;
        _counters = counters;
        if (keepAlive)
        {
            _keepAlive = new Timer(_ => KeepAlive(), null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        }
    }

    public BenchClient[] Clients { get; }

    public int Opened { get; private set; }

    public int Failures => _failures;

    public string? FirstError => _firstError;

    public TimeSpan Elapsed { get; private set; }

    /// <summary>Opens <paramref name="count"/> clients; those that fail stay in the array as null.</summary>
    public static async Task<Fleet> OpenAsync(
        int count,
        Func<int, BenchClient> create,
        Func<int, Uri> uri,
        Func<int, string?> room,
        int parallelism,
        Counters? counters,
        Progress? progress,
        CancellationToken cancellation,
        TimeSpan? timeout = null)
    {
        var clients = new BenchClient[count];
        var fleet = new Fleet(clients, counters, keepAlive: true);
        var opened = 0;
        if (progress is not null)
        {
            progress.Detail = () => $"open {Volatile.Read(ref opened)}/{count} failed {fleet._failures}";
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var each = timeout ?? TimeSpan.FromSeconds(30);
        await Parallel.ForEachAsync(Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellation },
            async (i, ct) =>
            {
                var client = create(i);
                client.Tag = i;
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(each);
                try
                {
                    await client.OpenAsync(uri(i), limit.Token);
                    if (room(i) is { } r)
                    {
                        await client.JoinAsync(r, limit.Token);
                    }
                    clients[i] = client;
                    Interlocked.Increment(ref opened);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException
                                           or System.Net.WebSockets.WebSocketException)
                {
                    client.Close();
                    Interlocked.Increment(ref fleet._failures);
                    Interlocked.CompareExchange(ref fleet._firstError, ex is OperationCanceledException ? "timed out" : ex.Message, null);
                }
            });
        fleet.Elapsed = clock.Elapsed;
        fleet.Opened = opened;
        return fleet;
    }

    public IEnumerable<BenchClient> Open => Clients.Where(c => c is not null);

    private void KeepAlive()
    {
        foreach (var client in Clients)
        {
            if (client is SignalRClient { IsClosed: false })
            {
                client.KeepAlive();
            }
        }
    }

    public void Dispose()
    {
        _keepAlive?.Dispose();
        if (_counters is not null)
        {
            _counters.Closing = true;
        }
        foreach (var client in Clients)
        {
            client?.Close();
        }
    }
}
