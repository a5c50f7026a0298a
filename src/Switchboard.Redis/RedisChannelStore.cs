using System.Globalization;
using System.Security.Cryptography;
using StackExchange.Redis;
using Switchboard.Channels;
using StreamPosition = Switchboard.Channels.StreamPosition;

namespace Switchboard.Redis;

/// <summary>
/// Channel history in Redis (docs/redis.md): per channel a stream whose entry ids are the offsets and a
/// hash with the epoch, the top offset and the largest trimmed sequence number. Every operation is one
/// Lua script, so any number of nodes may share the history and a client can resume on any of them.
/// The epoch lives in Redis: it survives node restarts and changes only when the channel's keys are
/// lost (a flush, a Redis restart without persistence), which readers then see as a discontinuity.
/// When Redis cannot be reached, every operation throws (<see cref="RedisException"/> or
/// <see cref="TimeoutException"/>); an append never reports success it did not get from Redis.
/// </summary>
public sealed class RedisChannelStore : IChannelStore, IDisposable, IAsyncDisposable
{
    private readonly IDatabase _database;
    private readonly TimeProvider _time;
    private readonly long _idleExpiry;
    private readonly bool _ownsConnection;

    /// <summary>A store over a connection the caller owns (and disposes).</summary>
    public RedisChannelStore(IConnectionMultiplexer redis, RedisChannelStoreOptions? options = null)
        : this(redis, options, ownsConnection: false)
    {
    }

    private RedisChannelStore(IConnectionMultiplexer redis, RedisChannelStoreOptions? options, bool ownsConnection)
    {
        ArgumentNullException.ThrowIfNull(redis);
        Options = options ?? new RedisChannelStoreOptions();
        ChannelKeys.ValidatePrefix(Options.KeyPrefix);
        Redis = redis;
        _database = redis.GetDatabase(Options.Database);
        _time = Options.TimeProvider;
        _idleExpiry = Options.IdleChannelExpiry is { } idle ? Math.Max(1, (long)idle.TotalMilliseconds) : 0;
        _ownsConnection = ownsConnection;
    }

    /// <summary>
    /// In a cluster, the generation key and the generation the node follows (<see cref="RedisClusterBus"/>):
    /// reads then refuse a server without it, rather than start new epochs there.
    /// </summary>
    internal StoreFence? Fence { get; set; }

    /// <summary>The generation key, the generation followed, and how a fenced script is run (<see cref="RedisClusterBus.EvaluateFencedAsync"/>).</summary>
    internal sealed record StoreFence(RedisKey Key, Func<string?> Current, Func<string, RedisKey[], RedisValue[], int, string, Task<RedisResult>> Evaluate);

    /// <summary>The connection the store uses.</summary>
    public IConnectionMultiplexer Redis { get; }

    /// <summary>The key prefix and limits the store was made with.</summary>
    public RedisChannelStoreOptions Options { get; }

    /// <inheritdoc />
    public TimeSpan? IdleChannelExpiry => Options.IdleChannelExpiry;

    /// <summary>
    /// Connects with a StackExchange.Redis configuration string (<c>host:port,password=…,ssl=true</c>);
    /// the store owns the connection. See <see cref="ParseConfiguration"/> for the defaults applied.
    /// </summary>
    public static RedisChannelStore Connect(string configuration, RedisChannelStoreOptions? options = null) =>
        Connect(ParseConfiguration(configuration), options);

    /// <summary>Connects with configuration options used as given; the store owns the connection.</summary>
    public static RedisChannelStore Connect(ConfigurationOptions configuration, RedisChannelStoreOptions? options = null) =>
        new(ConnectionMultiplexer.Connect(configuration), options, ownsConnection: true);

    /// <summary>
    /// Parses a configuration string with the store's defaults: the process starts even while Redis is
    /// down (<c>abortConnect=false</c> unless the string says otherwise) and reconnects by itself, and
    /// commands fail at once while there is no connection (<see cref="BacklogPolicy.FailFast"/>)
    /// rather than waiting in a queue, so a publish fails loudly instead of holding up its namespace.
    /// </summary>
    public static ConfigurationOptions ParseConfiguration(string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var parsed = ConfigurationOptions.Parse(configuration);
        if (!configuration.Contains("abortConnect", StringComparison.OrdinalIgnoreCase))
        {
            parsed.AbortOnConnectFail = false;
        }
        parsed.BacklogPolicy = BacklogPolicy.FailFast;
        return parsed;
    }

    /// <inheritdoc/>
    public async ValueTask<StreamPosition> AppendAsync(string nsp, string channel, Publication publication, HistoryPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publication);
        ArgumentNullException.ThrowIfNull(policy);
        // Cancellation is honoured only before the script is sent: once it is, the append may take
        // place, and the caller must learn its outcome to keep its order of appends.
        cancellationToken.ThrowIfCancellationRequested();
        var argv = new List<RedisValue>(16)
        {
            NewEpoch(),
            Now(),
            _idleExpiry,
            Math.Max(0, policy.Size),
            (policy.Ttl.Ticks / TimeSpan.TicksPerMicrosecond).ToString(CultureInfo.InvariantCulture),
            Math.Max(0, policy.MaxBytes),
        };
        StoredPublication.AddFields(argv, publication);
        var result = (RedisResult[])(await EvaluateAsync(ChannelScripts.Append, nsp, channel, [.. argv]).ConfigureAwait(false))!;
        return new StreamPosition((long)result[1], (string)result[0]!);
    }

    /// <inheritdoc/>
    public async ValueTask<HistoryRead> ReadAsync(string nsp, string channel, StreamPosition? since, int limit, CancellationToken cancellationToken = default)
    {
        var task = since is { } from
            ? ReadAsync(ChannelScripts.ReadSince, nsp, channel, [NewEpoch(), Now(), _idleExpiry, from.Epoch, from.Offset, limit])
            : ReadAsync(ChannelScripts.ReadLatest, nsp, channel, [NewEpoch(), Now(), _idleExpiry, limit]);
        return ToHistoryRead(channel, await task.WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc/>
    public async ValueTask<HistoryRead> ReadAfterSeqAsync(string nsp, string channel, long seq, CancellationToken cancellationToken = default)
    {
        var result = await ReadAsync(ChannelScripts.ReadAfterSeq, nsp, channel, [NewEpoch(), Now(), _idleExpiry, seq]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return ToHistoryRead(channel, result);
    }

    /// <inheritdoc/>
    public async ValueTask<StreamPosition> GetPositionAsync(string nsp, string channel, CancellationToken cancellationToken = default)
    {
        var result = (RedisResult[])(await ReadAsync(ChannelScripts.Position, nsp, channel, [NewEpoch(), Now(), _idleExpiry]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        return new StreamPosition((long)result[1], (string)result[0]!);
    }

    /// <summary>Closes the Redis connection when the store opened it itself.</summary>
    public void Dispose()
    {
        if (_ownsConnection)
        {
            Redis.Dispose();
        }
    }

    /// <summary>Closes the Redis connection when the store opened it itself.</summary>
    public ValueTask DisposeAsync() => _ownsConnection ? Redis.DisposeAsync() : ValueTask.CompletedTask;

    private Task<RedisResult> EvaluateAsync(string script, string nsp, string channel, RedisValue[] argv)
    {
        var keys = ChannelKeys.For(Options.KeyPrefix, nsp, channel);
        return _database.ScriptEvaluateAsync(script, [keys.Log, keys.Meta], argv);
    }

    /// <summary>A read script, fenced in a cluster: a server without the node's generation is refused as unavailable.</summary>
    private async Task<RedisResult> ReadAsync(string script, string nsp, string channel, RedisValue[] argv)
    {
        if (Fence is not { } fence || fence.Current() is not { } generation)
        {
            return await EvaluateAsync(script, nsp, channel, argv).ConfigureAwait(false);
        }
        var keys = ChannelKeys.For(Options.KeyPrefix, nsp, channel);
        return await fence.Evaluate(script, [keys.Log, keys.Meta, fence.Key], [.. argv, generation], argv.Length, "read").ConfigureAwait(false);
    }

    /// <summary>Reads a script's <c>{epoch, top, continuous, entries}</c>.</summary>
    private static HistoryRead ToHistoryRead(string channel, RedisResult result)
    {
        var parts = (RedisResult[])result!;
        var epoch = (string)parts[0]!;
        var top = new StreamPosition((long)parts[1], epoch);
        var continuous = (long)parts[2] != 0;
        var stored = (RedisResult[])parts[3]!;
        var entries = new ChannelEntry[stored.Length];
        for (var i = 0; i < stored.Length; i++)
        {
            entries[i] = StoredPublication.ToEntry(channel, epoch, stored[i]);
        }
        return new HistoryRead(top, continuous, entries);
    }

    private string Now() => StoredPublication.ToUnixMicroseconds(_time.GetUtcNow()).ToString(CultureInfo.InvariantCulture);

    /// <summary>A candidate epoch, used by a script only when the channel has none: 8 base64url characters.</summary>
    private static string NewEpoch()
    {
        Span<byte> bytes = stackalloc byte[6];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }
}
