using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.Cluster;
using StreamPosition = Switchboard.Channels.StreamPosition;

namespace Switchboard.Redis;

/// <summary>
/// The cluster over one Redis server (docs/cluster.md). Each node has an inbox, a Redis pub/sub
/// channel of its own, and registers in a per-room set the rooms it has local members of; a publication
/// is one script that stores it and PUBLISHes it once to the inbox of each node with members, so a node
/// receives only what its members need, and everything in one order. A node renews a lease in the node
/// table every <see cref="RedisClusterOptions.HeartbeatInterval"/>; a node whose lease ran out gets no
/// more messages. When Redis is unreachable, publishing throws (the caller fails loudly); the node keeps
/// serving its local clients, and registers again once Redis is back.
/// </summary>
public sealed partial class RedisClusterBus : IClusterBus, IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly RedisClusterOptions _options;
    private readonly string _prefix;
    private readonly RedisKey _nodes;
    private readonly RedisKey _nodeInterest;
    private readonly string _inboxPrefix;
    private readonly ILogger _log;
    private readonly HashSet<(string Nsp, string Channel)> _interest = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _idleExpiry;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IClusterSink? _sink;
    private Task? _inboxLoop;
    private Task? _heartbeatLoop;
    private int _disposed;

    /// <summary>A cluster node over <paramref name="redis"/>; it registers and subscribes in the background (see <see cref="Ready"/>).</summary>
    /// <param name="redis">The connection, owned by the caller.</param>
    /// <param name="options">The node id, key prefix and timings; defaults when null.</param>
    /// <param name="loggers">Where the bus logs; none when null.</param>
    public RedisClusterBus(IConnectionMultiplexer redis, RedisClusterOptions? options = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _options = options ?? new RedisClusterOptions();
        ChannelKeys.ValidatePrefix(_options.Store.KeyPrefix);
        _redis = redis;
        _database = redis.GetDatabase(_options.Store.Database);
        _prefix = _options.Store.KeyPrefix;
        _nodes = _prefix + "nodes";
        _generationKey = _prefix + "generation";
        _inboxPrefix = _prefix + "inbox:";
        _idleExpiry = _options.Store.IdleChannelExpiry is { } idle ? Math.Max(1, (long)idle.TotalMilliseconds) : 0;
        NodeId = _options.NodeId ?? NewId();
        _nodeInterest = $"{_prefix}node-interest:{NodeId}";
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger("Switchboard.Cluster");
        Sessions = new RedisSessionStore(this, _database, _prefix, _options.SessionLease, _log);
        Store = new RedisChannelStore(redis, _options.Store) { Fence = new(_generationKey, () => _generation, EvaluateFencedAsync) };
    }

    /// <inheritdoc/>
    public string NodeId { get; }

    /// <summary>The connection the bus uses (shared with what wraps it, such as the Socket.IO adapter bridge).</summary>
    internal IConnectionMultiplexer Connection => _redis;

    /// <inheritdoc/>
    public IClusterSessionStore? Sessions { get; }

    /// <summary>The channel history the bus appends to (the Redis streams); the server reads it as <see cref="History"/>.</summary>
    public RedisChannelStore Store { get; }

    /// <inheritdoc/>
    public IChannelStore History => Store;

    /// <summary>Completes once the inbox is subscribed and the node registered (it retries until Redis answers).</summary>
    public Task Ready => _ready.Task;

    /// <inheritdoc/>
    public void Attach(IClusterSink sink)
    {
        if (Interlocked.CompareExchange(ref _sink, sink, null) is not null)
        {
            throw new InvalidOperationException("The bus is already attached to a server.");
        }
        _redis.ConnectionRestored += OnConnectionRestored;
        _inboxLoop = Task.Run(RunInboxAsync);
        _heartbeatLoop = Task.Run(RunHeartbeatAsync);
    }

    /// <inheritdoc/>
    public async ValueTask<ClusterPublished> PublishAsync(ClusterPublication publication, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var nsp = publication.Namespace;
        var keys = new List<RedisKey>(2 + 2 * publication.Channels.Count + publication.Rooms.Count) { SequenceKey(nsp), _nodes };
        var argv = new List<RedisValue>(16)
        {
            NewId(),
            StoredPublication.ToUnixMicroseconds(_options.Store.TimeProvider.GetUtcNow()).ToString(CultureInfo.InvariantCulture),
            _idleExpiry,
            publication.Channels.Count,
            publication.Rooms.Count,
            _inboxPrefix,
            nsp,
            _generation ?? await EnsureGenerationAsync().ConfigureAwait(false),
            publication.Seen?.Sequence.Epoch ?? "",
            publication.Seen?.Sequence.Offset ?? 0,
        };
        foreach (var (channel, policy) in publication.Channels)
        {
            var channelKeys = ChannelKeys.For(_prefix, nsp, channel);
            keys.Add(channelKeys.Log);
            keys.Add(channelKeys.Meta);
            argv.Add(channel);
            argv.Add(Math.Max(0, policy.Size));
            argv.Add((policy.Ttl.Ticks / TimeSpan.TicksPerMicrosecond).ToString(CultureInfo.InvariantCulture));
            argv.Add(Math.Max(0, policy.MaxBytes));
            var seen = publication.Seen?.Channels.GetValueOrDefault(channel);
            argv.Add(seen?.Epoch ?? "");
            argv.Add(seen?.Offset ?? 0);
        }
        foreach (var room in publication.Rooms)
        {
            keys.Add(InterestKey(nsp, room));
            argv.Add(room);
        }
        keys.Add(_generationKey);
        StoredPublication.AddFields(argv, publication.Publication, withSeq: false);
        RedisResult[] result;
        try
        {
            // Fenced: argument 8 (index 7) is the generation; nothing is written on a server without it.
            result = (RedisResult[])(await EvaluateFencedAsync(ClusterScripts.Publish, [.. keys], [.. argv], 7, "publication").ConfigureAwait(false))!;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            // Not stored, not delivered (or we cannot tell): the caller must not report a success.
            throw new ClusterUnavailableException($"Redis did not take the publication: {ex.Message}", ex);
        }
        var positions = new Dictionary<string, StreamPosition>(publication.Channels.Count, StringComparer.Ordinal);
        for (var i = 2; i + 2 < result.Length; i += 3)
        {
            positions[(string)result[i]!] = new StreamPosition((long)result[i + 1], (string)result[i + 2]!);
        }
        return new ClusterPublished((string)result[0]!, (long)result[1], positions);
    }

    /// <inheritdoc/>
    public async ValueTask BroadcastAsync(ClusterBroadcast broadcast, CancellationToken cancellationToken = default) =>
        await SendToMembersAsync(broadcast.Namespace, broadcast.Options.Rooms, ClusterMessage.Broadcast(broadcast), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public ValueTask<int> RequestAsync(ClusterRequest request, CancellationToken cancellationToken = default) =>
        SendToMembersAsync(request.Namespace, request.Rooms, ClusterMessage.Request(request), cancellationToken);

    /// <inheritdoc/>
    public async ValueTask ReplyAsync(ClusterReply reply, CancellationToken cancellationToken = default) =>
        await _database.PublishAsync(RedisChannel.Literal(_inboxPrefix + reply.To), ClusterMessage.Reply(reply)).WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Sends a message to the other live nodes with members of the rooms (all of them for no rooms); returns how many.</summary>
    private async ValueTask<int> SendToMembersAsync(string nsp, IReadOnlyCollection<string> rooms, byte[] message, CancellationToken cancellationToken)
    {
        // KEYS[1] is padding: the scripts' shared part reads the node table at KEYS[2].
        var keys = new List<RedisKey>(2 + rooms.Count) { _nodes, _nodes };
        foreach (var room in rooms)
        {
            keys.Add(InterestKey(nsp, room));
        }
        var reached = await Unavailable(_database.ScriptEvaluateAsync(ClusterScripts.Broadcast, [.. keys], [NodeId, _inboxPrefix, message]), "send to the other nodes").WaitAsync(cancellationToken).ConfigureAwait(false);
        return (int)reached;
    }

    /// <inheritdoc/>
    public async ValueTask AddInterestAsync(string nsp, string channel, CancellationToken cancellationToken = default)
    {
        lock (_interest)
        {
            _interest.Add((nsp, channel));
        }
        await Unavailable(_database.ScriptEvaluateAsync(ClusterScripts.AddInterest, [InterestKey(nsp, channel), _nodeInterest], [NodeId]), "register the room").WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void RemoveInterest(string nsp, string channel)
    {
        lock (_interest)
        {
            _interest.Remove((nsp, channel));
        }
        _ = Observe(_database.ScriptEvaluateAsync(ClusterScripts.RemoveInterest, [InterestKey(nsp, channel), _nodeInterest], [NodeId]));
    }

    /// <inheritdoc/>
    public async ValueTask RestartRewoundAsync(string nsp, string? sequenceEpoch, IReadOnlyList<(string Channel, string Epoch)> channels, CancellationToken cancellationToken = default)
    {
        var keys = new List<RedisKey>(2 + 2 * channels.Count) { SequenceKey(nsp) };
        var argv = new List<RedisValue>(5 + channels.Count)
        {
            NewId(),
            StoredPublication.ToUnixMicroseconds(_options.Store.TimeProvider.GetUtcNow()).ToString(CultureInfo.InvariantCulture),
            _idleExpiry,
            _generation ?? await EnsureGenerationAsync().ConfigureAwait(false),
            sequenceEpoch ?? "",
        };
        foreach (var (channel, epoch) in channels)
        {
            var channelKeys = ChannelKeys.For(_prefix, nsp, channel);
            keys.Add(channelKeys.Log);
            keys.Add(channelKeys.Meta);
            argv.Add(epoch);
        }
        keys.Add(_generationKey);
        await Unavailable(_database.ScriptEvaluateAsync(ClusterScripts.RestartRewound, [.. keys], [.. argv]), "replace the epochs that went back").WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<string> GetSequenceEpochAsync(string nsp, CancellationToken cancellationToken = default)
    {
        var epoch = await Unavailable(_database.ScriptEvaluateAsync(ClusterScripts.SequenceEpoch, [SequenceKey(nsp)], [NewId()]), "read the sequence epoch").WaitAsync(cancellationToken).ConfigureAwait(false);
        return (string)epoch!;
    }

    /// <summary>Leaves the cluster: unregisters the node and unsubscribes; the connection stays the caller's.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _redis.ConnectionRestored -= OnConnectionRestored;
        UnwatchPrimary();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_sentinels is { } sentinels)
        {
            await sentinels.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var loop in new[] { _inboxLoop, _heartbeatLoop })
        {
            if (loop is not null)
            {
                await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        try
        {
            await _redis.GetSubscriber().UnsubscribeAsync(RedisChannel.Literal(_inboxPrefix + NodeId)).ConfigureAwait(false);
            await _database.ScriptEvaluateAsync(ClusterScripts.Leave, [_nodes, _nodeInterest], [NodeId]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Redis is gone; the lease runs out by itself.
        }
        _stopping.Dispose();
    }

    internal RedisKey SessionKey(string nsp, string pid) => $"{_prefix}session:{Escape(nsp)}:{pid}";

    private RedisKey SequenceKey(string nsp) => $"{_prefix}seq:{Escape(nsp)}";

    private RedisKey InterestKey(string nsp, string room) => $"{_prefix}interest:{Escape(nsp)}:{room}";

    private static string Escape(string nsp) =>
        nsp.AsSpan().IndexOfAny('%', ':') < 0 ? nsp : nsp.Replace("%", "%25", StringComparison.Ordinal).Replace(":", "%3A", StringComparison.Ordinal);

    /// <summary>12 base64url characters.</summary>
    internal static string NewId()
    {
        Span<byte> bytes = stackalloc byte[9];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }
}
