namespace Switchboard.Channels;

/// <summary>
/// One node: the hub orders its publications itself (<see cref="ChannelHub.AppendAndDeliverAsync"/>) and
/// delivers them behind its order (<see cref="DeliveryQueue"/>); nothing has to reach this node from elsewhere.
/// </summary>
internal sealed class LocalBackplane(ChannelHub hub) : IChannelBackplane
{
    public string? NodeId => null;

    public bool OrdersHere => true;

    public ValueTask<PublishResult> PublishAsync(IReadOnlyCollection<string> channels, string eventName, object?[] args,
        IReadOnlyCollection<string> except, string? publisherId, CancellationToken cancellationToken) =>
        hub.AppendAndDeliverAsync(channels, eventName, args, except, publisherId, cancellationToken);

    public ValueTask<bool> IsCurrentAsync(string epoch, long seq) => ValueTask.FromResult(epoch == hub.Epoch && seq <= hub.Seq);

    public void Acquire(string channel)
    {
    }

    public ValueTask AcquireAsync(string channel) => ValueTask.CompletedTask;

    public Task ReadyAsync(string channel) => Task.CompletedTask;

    public void Release(string channel)
    {
    }

    public void NoteSubscribedAt(string channel, StreamPosition top)
    {
    }

    public void NoteReplayed(string channel, string memberId, StreamPosition top)
    {
    }

    public List<string>? ReplayedTo(IReadOnlyDictionary<string, StreamPosition> positions) => null;
}
