using Switchboard.Channels;

namespace Switchboard.Cluster;

/// <summary>
/// What links the nodes of a cluster (docs/cluster.md). A node tells the bus which channels (rooms) it
/// has local members of; the bus makes publications durable with a cluster-wide order and hands each
/// one to every node with members, this node included, through <see cref="IClusterSink"/>, one at a
/// time and in that order. Non-durable broadcasts (volatile, to everyone, to socket ids) go to the
/// other nodes the same way, without history. The bus owns the cluster's history (<see cref="History"/>):
/// the server reads channel history and recovery replays from it, never from a store of its own.
/// Implementations: <see cref="InMemoryClusterBus"/> (nodes in one process), the Redis bus in
/// Switchboard.Redis; every one passes the same contract suite (tests/Switchboard.Cluster.Tests).
/// </summary>
public interface IClusterBus
{
    /// <summary>This node's id in the cluster.</summary>
    string NodeId { get; }

    /// <summary>
    /// The cluster's channel history, the one log that <see cref="PublishAsync"/> appends to. A server on
    /// this bus keeps no history of its own: it reads this one (history, resumes, recovery, gap filling).
    /// </summary>
    IChannelStore History { get; }

    /// <summary>Connects the bus to this node's server. Called once, by the <c>SocketServer</c>.</summary>
    void Attach(IClusterSink sink);

    /// <summary>
    /// Appends a publication to its channels' histories under the namespace's next cluster-wide sequence
    /// number and delivers it to every node with members of any of its rooms. Throws when it cannot be
    /// made durable (<see cref="ClusterUnavailableException"/> when the backend is unreachable): a publication
    /// never reports a success it did not get.
    /// </summary>
    ValueTask<ClusterPublished> PublishAsync(ClusterPublication publication, CancellationToken cancellationToken = default);

    /// <summary>Sends a non-durable broadcast to the other nodes with members of its rooms (every other node when it names none).</summary>
    ValueTask BroadcastAsync(ClusterBroadcast broadcast, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a request to the other live nodes with members of <see cref="ClusterRequest.Rooms"/> (every
    /// other live node when it names none) and returns how many nodes it reached: that many replies are
    /// due, through <see cref="IClusterSink.OnReply"/>.
    /// </summary>
    ValueTask<int> RequestAsync(ClusterRequest request, CancellationToken cancellationToken = default);

    /// <summary>Answers a request; the reply goes to the node that sent it.</summary>
    ValueTask ReplyAsync(ClusterReply reply, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells the cluster that this node has local members of the channel; when the returned task ends,
    /// every later publication to it reaches this node.
    /// </summary>
    ValueTask AddInterestAsync(string nsp, string channel, CancellationToken cancellationToken = default);

    /// <summary>This node has no local member of the channel any more.</summary>
    void RemoveInterest(string nsp, string channel);

    /// <summary>
    /// A node saw positions go back within an epoch (a promoted replica that lacked the last writes, and a
    /// publication that reached it without the node's high-water marks): the namespace's sequence epoch
    /// (when <paramref name="sequenceEpoch"/> is given) and the channels' epochs, if they are still the ones
    /// named, are replaced by new, empty ones, so no client continues a position that now means something
    /// else. A backend that never goes back does nothing.
    /// </summary>
    ValueTask RestartRewoundAsync(string nsp, string? sequenceEpoch, IReadOnlyList<(string Channel, string Epoch)> channels, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>The namespace's current sequence epoch (Socket.IO recovery offsets are <c>epoch-seq</c>).</summary>
    ValueTask<string> GetSequenceEpochAsync(string nsp, CancellationToken cancellationToken = default);

    /// <summary>
    /// The ids of the cluster's live nodes, this one included (an admin view): the nodes a request with no
    /// rooms reaches, and this one.
    /// </summary>
    ValueTask<IReadOnlyList<string>> GetLiveNodesAsync(CancellationToken cancellationToken = default);

    /// <summary>Recovery sessions kept for the whole cluster, so a client can recover on any node; null keeps them per node.</summary>
    IClusterSessionStore? Sessions { get; }
}

/// <summary>Where a bus delivers what it receives, in the cluster's order, one message at a time.</summary>
public interface IClusterSink
{
    /// <summary>A durable publication reached this node: deliver it to local subscribers in sequence order.</summary>
    ValueTask OnPublicationAsync(ClusterDelivery delivery, CancellationToken cancellationToken = default);

    /// <summary>A non-durable broadcast from another node: deliver it to local sockets.</summary>
    void OnBroadcast(ClusterBroadcast broadcast);

    /// <summary>A request from another node: carry it out and reply.</summary>
    void OnRequest(ClusterRequest request);

    /// <summary>A reply to a request this node made.</summary>
    void OnReply(ClusterReply reply);
}

/// <summary>A publication on its way into the cluster: the channels that keep it, and every room it is emitted to.</summary>
/// <param name="Namespace">The Socket.IO namespace the publication belongs to.</param>
/// <param name="Rooms">Every room targeted (a Socket.IO emit's rooms, socket id rooms included).</param>
/// <param name="Channels">The rooms that are channels with history, with their history policies.</param>
/// <param name="Publication">The publication itself.</param>
/// <param name="Seen">The highest positions the publishing node has seen of the namespace and of these channels: a
/// backend that is behind them (a promoted replica that lacked the last writes) starts new epochs instead of reusing them.</param>
public sealed record ClusterPublication(string Namespace, IReadOnlyList<string> Rooms, IReadOnlyList<(string Channel, HistoryPolicy Policy)> Channels, Publication Publication,
    ClusterHighWater? Seen = null);

/// <summary>The highest sequence number (with its epoch) and channel positions a node has seen.</summary>
/// <param name="Sequence">The namespace's highest sequence number seen, as an offset in the sequence epoch.</param>
/// <param name="Channels">Each channel's highest position seen.</param>
public sealed record ClusterHighWater(StreamPosition Sequence, IReadOnlyDictionary<string, StreamPosition> Channels);

/// <summary>What a durable publication got: its sequence number (and epoch) and its place in each channel.</summary>
public sealed record ClusterPublished(string SequenceEpoch, long Seq, IReadOnlyDictionary<string, StreamPosition> Positions);

/// <summary>A durable publication as the cluster delivers it to a node.</summary>
public sealed record ClusterDelivery(string Namespace, string SequenceEpoch, IReadOnlyList<string> Rooms, IReadOnlyDictionary<string, StreamPosition> Positions, Publication Publication);

/// <summary>A non-durable broadcast: the encoded packet, sent as it is, and its targets.</summary>
public sealed record ClusterBroadcast(string Namespace, EncodedPacket Packet, BroadcastOptions Options);

/// <summary>A request from one node to the others (cluster-wide operations: fetch, join, leave, disconnect, acks, server-side emits).</summary>
/// <param name="Namespace">The Socket.IO namespace the request is about.</param>
/// <param name="Id">The request's id, which its replies carry.</param>
/// <param name="Origin">The id of the node that asks, where the replies go.</param>
/// <param name="Kind">What is asked; the body's format depends on it (<see cref="ClusterWire"/>).</param>
/// <param name="Rooms">The rooms whose member nodes are asked; none asks every node.</param>
/// <param name="Body">The request's arguments, encoded as <see cref="ClusterWire"/> says for its kind.</param>
public sealed record ClusterRequest(string Namespace, string Id, string Origin, string Kind, IReadOnlyCollection<string> Rooms, ReadOnlyMemory<byte> Body);

/// <summary>An answer to a request, sent to the node that asked (<paramref name="To"/>); a request may get several from one node.</summary>
public sealed record ClusterReply(string To, string Id, string From, string Kind, ReadOnlyMemory<byte> Body);

/// <summary>Socket.IO recovery sessions shared by the nodes (docs/cluster.md, "Recovery").</summary>
public interface IClusterSessionStore
{
    /// <summary>Writes the session's rooms as they are now; called after every change while it is connected.</summary>
    void Save(string nsp, RecoverableSession session);

    /// <summary>The socket disconnected in a recoverable way: keep the session for <paramref name="keep"/>.</summary>
    void Disconnected(string nsp, RecoverableSession session, TimeSpan keep);

    /// <summary>The session can never be recovered (a deliberate disconnect).</summary>
    void Remove(string nsp, string pid);

    /// <summary>
    /// Takes a session for recovery on this node, wherever it was: null when unknown or expired. A session
    /// whose node died is taken as well, so the clients of a killed node recover elsewhere.
    /// </summary>
    ValueTask<RecoverableSession?> TryTakeAsync(string nsp, string pid, CancellationToken cancellationToken = default);
}
