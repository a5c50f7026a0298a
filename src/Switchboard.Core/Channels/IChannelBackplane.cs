namespace Switchboard.Channels;

/// <summary>
/// Where a hub's publications are ordered and how they reach this node: on one node the hub orders them
/// itself (<see cref="LocalBackplane"/>); in a cluster the bus does, and hands them back to every node
/// (<c>ClusterBackplane</c> in Switchboard.Cluster, docs/decisions/0009). The hub calls it at the same
/// points either way, so no method of the hub asks which one it has.
/// </summary>
internal interface IChannelBackplane
{
    /// <summary>This node's id in the cluster; null on one node.</summary>
    string? NodeId { get; }

    /// <summary>
    /// Whether the hub orders its publications itself (one node): it then delivers them behind its order,
    /// through its delivery queue. False in a cluster, where the bus orders them and the node delivers each
    /// one under the order as the bus hands it back.
    /// </summary>
    bool OrdersHere { get; }

    /// <summary>Orders, stores and delivers a publication (in a cluster: delivered when the bus hands it back).</summary>
    ValueTask<PublishResult> PublishAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken);

    /// <summary>Whether a Socket.IO recovery offset <c>epoch-seq</c> is of the current sequence epoch and not ahead of it.</summary>
    ValueTask<bool> IsCurrentAsync(string epoch, long seq);

    /// <summary>The channel has a local member: its publications must reach this node (not awaited).</summary>
    void Acquire(string channel);

    /// <summary>As <see cref="Acquire"/>; completes once every later publication of the channel reaches this node.</summary>
    ValueTask AcquireAsync(string channel);

    /// <summary>Completes once publications to the channel reach this node.</summary>
    Task ReadyAsync(string channel);

    /// <summary>One local member of the channel fewer.</summary>
    void Release(string channel);

    /// <summary>A subscription read the channel up to <paramref name="top"/>: where this node's delivery stands when it has delivered nothing of it yet.</summary>
    void NoteSubscribedAt(string channel, StreamPosition top);

    /// <summary>A room member's replay of the channel ended at <paramref name="top"/>: what reaches this node up to there is not sent to it again.</summary>
    void NoteReplayed(string channel, string memberId, StreamPosition top);

    /// <summary>The room members that already had the publication at these positions in a replay; null when none.</summary>
    List<string>? ReplayedTo(IReadOnlyDictionary<string, StreamPosition> positions);
}
