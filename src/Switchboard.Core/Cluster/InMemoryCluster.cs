using System.Collections.Concurrent;
using System.Security.Cryptography;
using Switchboard.Channels;

namespace Switchboard.Cluster;

/// <summary>
/// A cluster whose nodes all live in this process: the in-memory counterpart of the Redis cluster, for
/// tests, for several servers in one process, and as the reference behaviour of <see cref="IClusterBus"/>.
/// It owns the cluster's one ordered log: every publication takes the namespace's next sequence number
/// and its channels' next offsets in <see cref="History"/> under one lock, and is queued, still under
/// it, to the inbox of each node with members of its rooms, so every node receives a namespace's
/// publications in one order. Create one <see cref="InMemoryClusterBus"/> per node with <see cref="Join"/>.
/// </summary>
public sealed class InMemoryCluster : IDisposable
{
    private readonly SemaphoreSlim _order = new(1, 1);
    private readonly ConcurrentDictionary<string, InMemoryClusterBus> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Nsp, string Room), HashSet<string>> _interest = [];
    private readonly Dictionary<string, (string Epoch, long Seq)> _sequences = new(StringComparer.Ordinal);
    private readonly InMemoryChannelStore _history;

    /// <summary>A cluster with no node yet.</summary>
    /// <param name="time">The clock of publication times, history ages and session expiry; the system's when null.</param>
    /// <param name="history">The history store's memory budget and channel count; defaults when null.</param>
    public InMemoryCluster(TimeProvider? time = null, ChannelOptions? history = null)
    {
        Time = time ?? TimeProvider.System;
        _history = new InMemoryChannelStore(Time, history);
        Sessions = new InMemorySessionStore(Time);
    }

    /// <summary>The cluster's channel history: the one log every node appends to through the bus and reads from.</summary>
    public IChannelStore History => _history;

    internal InMemorySessionStore Sessions { get; }

    internal TimeProvider Time { get; }

    /// <summary>Adds a node to the cluster; give the bus to the node's server (<c>AddSwitchboard().AddInMemoryCluster(...)</c>).</summary>
    /// <param name="nodeId">The node's id, unique in the cluster; a random one when null.</param>
    /// <param name="loggers">Where the node logs a message its server failed to handle; nowhere when null.</param>
    public InMemoryClusterBus Join(string? nodeId = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null)
    {
        var bus = new InMemoryClusterBus(this, nodeId ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), loggers);
        if (!_nodes.TryAdd(bus.NodeId, bus))
        {
            throw new InvalidOperationException($"A node with id {bus.NodeId} is already in the cluster.");
        }
        return bus;
    }

    /// <summary>The ids of the nodes in the cluster now.</summary>
    public IReadOnlyList<string> LiveNodes => [.. _nodes.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Stops the history store's sweep.</summary>
    public void Dispose() => _history.Dispose();

    /// <summary>A node left (or died: in one process the two are the same): it gets nothing more, and nobody waits for it.</summary>
    internal void Leave(InMemoryClusterBus node)
    {
        if (!_nodes.TryRemove(new KeyValuePair<string, InMemoryClusterBus>(node.NodeId, node)))
        {
            return;
        }
        lock (_interest)
        {
            foreach (var members in _interest.Values)
            {
                members.Remove(node.NodeId);
            }
        }
        Sessions.Orphan(node.NodeId);
    }

    internal void AddInterest(InMemoryClusterBus node, string nsp, string room)
    {
        lock (_interest)
        {
            if (!_interest.TryGetValue((nsp, room), out var members))
            {
                _interest[(nsp, room)] = members = new HashSet<string>(StringComparer.Ordinal);
            }
            members.Add(node.NodeId);
        }
    }

    internal void RemoveInterest(InMemoryClusterBus node, string nsp, string room)
    {
        lock (_interest)
        {
            if (_interest.TryGetValue((nsp, room), out var members) && members.Remove(node.NodeId) && members.Count == 0)
            {
                _interest.Remove((nsp, room));
            }
        }
    }

    internal async ValueTask<ClusterPublished> PublishAsync(ClusterPublication publication, CancellationToken cancellationToken)
    {
        await _order.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (epoch, seq) = NextSequence(publication.Namespace);
            var given = publication.Publication;
            var sequenced = new Publication(seq, given.Event, [.. given.Arguments], given.Except, given.PublisherId, given.Time);
            var positions = new Dictionary<string, StreamPosition>(publication.Channels.Count, StringComparer.Ordinal);
            foreach (var (channel, policy) in publication.Channels)
            {
                positions[channel] = await _history.AppendAsync(publication.Namespace, channel, sequenced, policy, CancellationToken.None).ConfigureAwait(false);
            }
            var delivery = new ClusterDelivery(publication.Namespace, epoch, publication.Rooms, positions, sequenced);
            // Still under the order: each inbox receives the namespace's publications in sequence order.
            foreach (var node in Members(publication.Namespace, publication.Rooms, except: null))
            {
                node.Post(sink => sink.OnPublicationAsync(delivery));
            }
            return new ClusterPublished(epoch, seq, positions);
        }
        finally
        {
            _order.Release();
        }
    }

    internal ValueTask<string> GetSequenceEpochAsync(string nsp)
    {
        lock (_sequences)
        {
            return ValueTask.FromResult(SequenceOf(nsp).Epoch);
        }
    }

    /// <summary>The live nodes with members of any of <paramref name="rooms"/>, or every live node when it names none.</summary>
    internal List<InMemoryClusterBus> Members(string nsp, IReadOnlyCollection<string> rooms, InMemoryClusterBus? except)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (rooms.Count == 0)
        {
            ids.UnionWith(_nodes.Keys);
        }
        else
        {
            lock (_interest)
            {
                foreach (var room in rooms)
                {
                    if (_interest.TryGetValue((nsp, room), out var members))
                    {
                        ids.UnionWith(members);
                    }
                }
            }
        }
        var nodes = new List<InMemoryClusterBus>(ids.Count);
        foreach (var id in ids)
        {
            if (id != except?.NodeId && _nodes.TryGetValue(id, out var node))
            {
                nodes.Add(node);
            }
        }
        return nodes;
    }

    internal InMemoryClusterBus? Node(string id) => _nodes.GetValueOrDefault(id);

    private (string Epoch, long Seq) NextSequence(string nsp)
    {
        lock (_sequences)
        {
            var (epoch, seq) = SequenceOf(nsp);
            _sequences[nsp] = (epoch, seq + 1);
            return (epoch, seq + 1);
        }
    }

    private (string Epoch, long Seq) SequenceOf(string nsp)
    {
        if (!_sequences.TryGetValue(nsp, out var sequence))
        {
            _sequences[nsp] = sequence = (Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), 0);
        }
        return sequence;
    }
}
