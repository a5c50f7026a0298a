using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Channels;

namespace Switchboard.Cluster;

/// <summary>
/// One node of an <see cref="InMemoryCluster"/>. As with Redis, the node has an inbox read by one loop
/// that hands each message to the server before the next, so it sees the cluster's order; the history is
/// the cluster's (<see cref="History"/>), so every node reads the publications every other node made.
/// Disposing the bus takes the node out of the cluster at once (in one process, leaving and dying are
/// the same): nothing more reaches it and no request waits for it.
/// </summary>
public sealed partial class InMemoryClusterBus : IClusterBus, IAsyncDisposable
{
    private readonly InMemoryCluster _cluster;
    private readonly Channel<Func<IClusterSink, ValueTask>> _inbox =
        Channel.CreateUnbounded<Func<IClusterSink, ValueTask>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _log;
    private IClusterSink? _sink;
    private Task? _loop;

    internal InMemoryClusterBus(InMemoryCluster cluster, string nodeId, ILoggerFactory? loggers)
    {
        _cluster = cluster;
        NodeId = nodeId;
        _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger("Switchboard.Cluster");
        Sessions = cluster.Sessions.For(nodeId);
    }

    /// <inheritdoc/>
    public string NodeId { get; }

    /// <inheritdoc/>
    public IChannelStore History => _cluster.History;

    /// <inheritdoc/>
    public IClusterSessionStore Sessions { get; }

    /// <inheritdoc/>
    public void Attach(IClusterSink sink)
    {
        if (Interlocked.CompareExchange(ref _sink, sink, null) is not null)
        {
            throw new InvalidOperationException("The bus is already attached to a server.");
        }
        _loop = Task.Run(RunInboxAsync);
    }

    /// <inheritdoc/>
    public ValueTask<ClusterPublished> PublishAsync(ClusterPublication publication, CancellationToken cancellationToken = default) =>
        _cluster.PublishAsync(publication, cancellationToken);

    /// <inheritdoc/>
    public ValueTask BroadcastAsync(ClusterBroadcast broadcast, CancellationToken cancellationToken = default)
    {
        foreach (var node in _cluster.Members(broadcast.Namespace, broadcast.Options.Rooms, except: this))
        {
            node.Post(sink =>
            {
                sink.OnBroadcast(broadcast);
                return ValueTask.CompletedTask;
            });
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<int> RequestAsync(ClusterRequest request, CancellationToken cancellationToken = default)
    {
        var nodes = _cluster.Members(request.Namespace, request.Rooms, except: this);
        foreach (var node in nodes)
        {
            node.Post(sink =>
            {
                sink.OnRequest(request);
                return ValueTask.CompletedTask;
            });
        }
        return ValueTask.FromResult(nodes.Count);
    }

    /// <inheritdoc/>
    public ValueTask ReplyAsync(ClusterReply reply, CancellationToken cancellationToken = default)
    {
        // A node that left has nobody waiting for the answer.
        _cluster.Node(reply.To)?.Post(sink =>
        {
            sink.OnReply(reply);
            return ValueTask.CompletedTask;
        });
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask AddInterestAsync(string nsp, string channel, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        _cluster.AddInterest(this, nsp, channel);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public void RemoveInterest(string nsp, string channel) => _cluster.RemoveInterest(this, nsp, channel);

    /// <summary>The in-memory log never goes back, so there is nothing to restart.</summary>
    public ValueTask RestartRewoundAsync(string nsp, string? sequenceEpoch, IReadOnlyList<(string Channel, string Epoch)> channels, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc/>
    public ValueTask<string> GetSequenceEpochAsync(string nsp, CancellationToken cancellationToken = default) =>
        _cluster.GetSequenceEpochAsync(nsp);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<string>> GetLiveNodesAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_cluster.LiveNodes);

    /// <summary>Leaves the cluster and lets the inbox finish what it holds.</summary>
    public async ValueTask DisposeAsync()
    {
        _cluster.Leave(this);
        _inbox.Writer.TryComplete();
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    internal void Post(Func<IClusterSink, ValueTask> message) => _inbox.Writer.TryWrite(message);

    private async Task RunInboxAsync()
    {
        await foreach (var message in _inbox.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await message(_sink!).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // One message the server could not handle must not stop the ones after it.
                LogHandlerFailed(_log, NodeId, ex);
            }
        }
    }

    [LoggerMessage(140, LogLevel.Error, "Cluster node {Node} failed to handle a message from its inbox")]
    private static partial void LogHandlerFailed(ILogger logger, string node, Exception exception);
}
