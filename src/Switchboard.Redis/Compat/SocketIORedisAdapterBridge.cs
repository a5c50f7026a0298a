using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.Cluster;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.Redis.Compat;

/// <summary>
/// Makes a Switchboard cluster speak <c>@socket.io/redis-adapter</c>'s classic pub/sub protocol
/// (docs/redis-adapter-compat.md) next to its own, so Node socket.io servers using that adapter, and
/// <c>@socket.io/redis-emitter</c>, share rooms with Switchboard nodes. It wraps the bus that links the
/// Switchboard nodes: everything that bus carries is also PUBLISHed once in the adapter's format, and what
/// Node servers and emitters publish is delivered to this node's local sockets. Switchboard nodes ignore
/// each other's adapter messages (their uid starts with <see cref="UidPrefix"/>): they already got them
/// through the inner bus, with order and history.
/// </summary>
public sealed partial class SocketIORedisAdapterBridge : IClusterBus, IAsyncDisposable
{
    /// <summary>The uid of every Switchboard node in adapter messages starts with this.</summary>
    public const string UidPrefix = "switchboard~";

    private readonly IClusterBus _inner;
    private readonly IConnectionMultiplexer _redis;
    private readonly SocketIORedisAdapterOptions _options;
    private readonly ILogger _log;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private IClusterSink? _sink;
    private ChannelMessageQueue? _broadcasts;
    private Task? _subscribing;

    /// <summary>A bus that forwards to <paramref name="inner"/> and also speaks @socket.io/redis-adapter's protocol over <paramref name="redis"/>.</summary>
    /// <param name="inner">The Switchboard cluster bus every operation goes through first.</param>
    /// <param name="redis">The connection the adapter's channels are published and subscribed on.</param>
    /// <param name="options">The adapter's channel prefix; <c>socket.io</c> by default.</param>
    /// <param name="loggers">Where the bridge logs; none when null.</param>
    public SocketIORedisAdapterBridge(IClusterBus inner, IConnectionMultiplexer redis, SocketIORedisAdapterOptions? options = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(redis);
        _inner = inner;
        _redis = redis;
        _options = options ?? new SocketIORedisAdapterOptions();
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger("Switchboard.Cluster.SocketIOCompat");
        Uid = UidPrefix + inner.NodeId;
    }

    /// <summary>This node's uid in adapter messages.</summary>
    public string Uid { get; }

    /// <inheritdoc/>
    public string NodeId => _inner.NodeId;

    /// <inheritdoc/>
    public IClusterSessionStore? Sessions => _inner.Sessions;

    /// <inheritdoc/>
    public IChannelStore History => _inner.History;

    /// <summary>The bus that links the Switchboard nodes.</summary>
    public IClusterBus Inner => _inner;

    /// <summary>Completes once this node receives what Node servers and emitters publish.</summary>
    public Task Ready => _ready.Task;

    /// <inheritdoc/>
    public void Attach(IClusterSink sink)
    {
        if (Interlocked.CompareExchange(ref _sink, sink, null) is not null)
        {
            throw new InvalidOperationException("The bus is already attached to a server.");
        }
        _inner.Attach(sink);
        _subscribing = Task.Run(SubscribeAsync);
    }

    /// <inheritdoc/>
    public async ValueTask<ClusterPublished> PublishAsync(ClusterPublication publication, CancellationToken cancellationToken = default)
    {
        var published = await _inner.PublishAsync(publication, cancellationToken).ConfigureAwait(false);
        // The offset a Switchboard client gets as the last argument is not part of the event for Node servers.
        var packet = PacketEncoder.Event(publication.Namespace, publication.Publication.Event, [.. publication.Publication.Arguments]);
        await MirrorAsync(publication.Namespace, packet, publication.Rooms, publication.Publication.Except, BroadcastFlags.None).ConfigureAwait(false);
        return published;
    }

    /// <inheritdoc/>
    public async ValueTask BroadcastAsync(ClusterBroadcast broadcast, CancellationToken cancellationToken = default)
    {
        await _inner.BroadcastAsync(broadcast, cancellationToken).ConfigureAwait(false);
        await MirrorAsync(broadcast.Namespace, broadcast.Packet, broadcast.Options.Rooms, broadcast.Options.Except, broadcast.Options.Flags).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask<int> RequestAsync(ClusterRequest request, CancellationToken cancellationToken = default) =>
        _inner.RequestAsync(request, cancellationToken);

    /// <summary>Replies to what a Node server asked through this bridge go back to it; the others to their node.</summary>
    public ValueTask ReplyAsync(ClusterReply reply, CancellationToken cancellationToken = default) =>
        reply.To == AdapterOrigin ? OnAdapterReplyAsync(reply) : _inner.ReplyAsync(reply, cancellationToken);

    /// <inheritdoc/>
    public ValueTask AddInterestAsync(string nsp, string channel, CancellationToken cancellationToken = default)
    {
        ServeNamespace(nsp);
        return _inner.AddInterestAsync(nsp, channel, cancellationToken);
    }

    /// <inheritdoc/>
    public void RemoveInterest(string nsp, string channel) => _inner.RemoveInterest(nsp, channel);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> GetLiveNodesAsync(CancellationToken cancellationToken = default) =>
        _inner.GetLiveNodesAsync(cancellationToken);

    /// <inheritdoc/>
    public ValueTask<string> GetSequenceEpochAsync(string nsp, CancellationToken cancellationToken = default) =>
        _inner.GetSequenceEpochAsync(nsp, cancellationToken);

    /// <inheritdoc/>
    public ValueTask RestartRewoundAsync(string nsp, string? sequenceEpoch, IReadOnlyList<(string Channel, string Epoch)> channels, CancellationToken cancellationToken = default) =>
        _inner.RestartRewoundAsync(nsp, sequenceEpoch, channels, cancellationToken);

    /// <summary>The adapter's broadcast channel for these rooms: the room's own channel when there is exactly one.</summary>
    public string BroadcastChannel(string nsp, IReadOnlyCollection<string> rooms) =>
        rooms.Count == 1 ? $"{_options.Key}#{nsp}#{rooms.First()}#" : $"{_options.Key}#{nsp}#";

    /// <summary>
    /// PUBLISHes what the inner bus carried, once, for the Node servers. The inner bus already made it a
    /// success or a failure for Switchboard; a Node side that cannot be reached is logged, not thrown.
    /// </summary>
    private async ValueTask MirrorAsync(string nsp, EncodedPacket packet, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except, BroadcastFlags flags)
    {
        if (flags.HasFlag(BroadcastFlags.Local) || !SocketPacketReader.TryParse(packet.Text.AsMemory(1), out var parsed, out _)
            || parsed.Type is not (SocketPacketType.Event or SocketPacketType.BinaryEvent) || parsed.HasAck)
        {
            return;
        }
        var message = new ArrayBufferWriter<byte>(64 + packet.Text.Length);
        AdapterCodec.WriteBroadcast(message, Uid, nsp, parsed.Data, packet.Attachments, rooms, except, flags & ~BroadcastFlags.Local);
        try
        {
            await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(BroadcastChannel(nsp, rooms)), message.WrittenMemory.ToArray()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.MirrorFailed(_log, nsp, ex.Message);
        }
    }

    private async Task SubscribeAsync()
    {
        if (await SubscribeUntilStoppedAsync(RedisChannel.Pattern(_options.Key + "#*")).ConfigureAwait(false) is { } broadcasts)
        {
            _broadcasts = broadcasts;
            _broadcasts.OnMessage(OnBroadcastMessage);
            _ready.TrySetResult();
        }
    }

    /// <summary>Subscribes, trying again every second while Redis cannot be reached; null once the bridge stops.</summary>
    private async Task<ChannelMessageQueue?> SubscribeUntilStoppedAsync(RedisChannel channel)
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                return await _redis.GetSubscriber().SubscribeAsync(channel).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.SubscribeFailed(_log, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }
        return null;
    }

    private void OnBroadcastMessage(StackExchange.Redis.ChannelMessage message)
    {
        try
        {
            var bytes = (byte[]?)message.Message;
            if (bytes is null || !AdapterCodec.TryReadBroadcast(new ReadOnlySequence<byte>(bytes), out var broadcast) || broadcast is null)
            {
                Log.Unreadable(_log, message.Channel.ToString());
                return;
            }
            if (broadcast.Uid.StartsWith(UidPrefix, StringComparison.Ordinal))
            {
                return;
            }
            var options = new BroadcastOptions(broadcast.Rooms, broadcast.Except, broadcast.Flags | BroadcastFlags.Local);
            _sink!.OnBroadcast(new ClusterBroadcast(broadcast.Namespace, broadcast.ToPacket(), options));
        }
        catch (Exception ex)
        {
            Log.DeliveryFailed(_log, message.Channel.ToString(), ex);
        }
    }

    /// <summary>Stops listening to the adapter's channels; the inner bus is the caller's to dispose.</summary>
    public async ValueTask DisposeAsync()
    {
        // The host disposes it when it stops, and the container once per service type it is registered as.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_subscribing is not null)
        {
            await _subscribing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        try
        {
            if (_broadcasts is not null)
            {
                await _broadcasts.UnsubscribeAsync().ConfigureAwait(false);
            }
            await UnsubscribeRequestsAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Redis is gone: so are the subscriptions.
        }
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Could not publish a broadcast of {Namespace} for Socket.IO redis-adapter servers: {Reason}")]
        public static partial void MirrorFailed(ILogger logger, string @namespace, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Cannot subscribe to the Socket.IO redis-adapter channels yet: {Reason}")]
        public static partial void SubscribeFailed(ILogger logger, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Ignored a message on {Channel} that is not a Socket.IO redis-adapter broadcast")]
        public static partial void Unreadable(ILogger logger, string channel);

        [LoggerMessage(4, LogLevel.Warning, "Could not deliver a Socket.IO redis-adapter broadcast from {Channel}")]
        public static partial void DeliveryFailed(ILogger logger, string channel, Exception exception);

        [LoggerMessage(5, LogLevel.Warning, "Could not answer a Socket.IO redis-adapter request on {Channel}")]
        public static partial void RequestFailed(ILogger logger, string channel, Exception exception);

        [LoggerMessage(6, LogLevel.Debug, "Ignored a Socket.IO redis-adapter request of type {Type} on {Channel}")]
        public static partial void RequestIgnored(ILogger logger, long type, string channel);
    }
}
