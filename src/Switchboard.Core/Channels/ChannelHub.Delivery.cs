namespace Switchboard.Channels;

public sealed partial class ChannelHub
{
    // Who is subscribed to what on this node, with where each subscriber's replay ended (its floor).
    private readonly Dictionary<string, Dictionary<IChannelSubscriber, StreamPosition>> _subscribers = new(StringComparer.Ordinal);

    /// <summary>
    /// Hands a stored publication to this node's subscribers of every kind: once to the room members
    /// (<see cref="IRoomSubscribers"/>), and as one entry per channel to each <see cref="IChannelSubscriber"/>.
    /// The caller is the one deliverer of the namespace, so publications go out in their order: on one node
    /// the <see cref="DeliveryQueue"/>'s drainer, in a cluster the holder of the order.
    /// </summary>
    internal void DeliverInOrder(Publication publication, IReadOnlyCollection<string> rooms, IReadOnlyDictionary<string, StreamPosition> positions)
    {
        var publisherId = publication.PublisherId;
        IReadOnlyCollection<string> memberExcept = publisherId is null ? publication.Except : [.. publication.Except, publisherId];
        if (_backplane.ReplayedTo(positions) is { } replayed)
        {
            // Members that just got this publication in a replay (a socket's subscription) are not sent it again.
            memberExcept = [.. memberExcept, .. replayed];
        }
        // The everyone channel's members are all the namespace's members: no room to target.
        IReadOnlyCollection<string> targets = rooms.Count == 1 && rooms.Contains(EveryoneChannel) ? [] : rooms;
        var delivered = 0;
        try
        {
            delivered = _rooms.Deliver(this, publication, targets, memberExcept);
        }
        catch (Exception ex)
        {
            // A recipient that fails never keeps the publication from the others, nor fails its publisher.
            _log.DeliveryFailed(_name, publication.Seq, "room members", ex);
        }

        lock (_subscribers)
        {
            foreach (var (channel, position) in positions)
            {
                if (!_subscribers.TryGetValue(channel, out var subscribers))
                {
                    continue;
                }
                var entry = new ChannelEntry(channel, position.Offset, position.Epoch, publication);
                foreach (var (subscriber, floor) in subscribers)
                {
                    // The floor is where the subscriber's replay ended: in a cluster, a publication may
                    // reach this node after a replay that already had it.
                    if ((publisherId is null || subscriber.ConnectionId != publisherId) && (floor.Epoch != position.Epoch || position.Offset > floor.Offset))
                    {
                        try
                        {
                            subscriber.Deliver(entry);
                            delivered++;
                        }
                        catch (Exception ex)
                        {
                            _log.DeliveryFailed(_name, publication.Seq, subscriber.ConnectionId, ex);
                        }
                    }
                }
            }
        }
        Metrics.Delivered(delivered, _name);
    }

    /// <summary>
    /// Under the order: makes a subscription live at this point of the namespace's order. On one node the
    /// switch is queued behind the publications ordered before it (they may not be delivered yet) and runs
    /// when the drainer reaches it; in a cluster, where delivery happens under the order, it runs now.
    /// Pass what this returns to <see cref="AwaitLiveAsync"/> once the order is released.
    /// </summary>
    private GoLive? GoLiveLocked(Action goLive)
    {
        if (_queue is null)
        {
            goLive();
            return null;
        }
        var marker = new GoLive(goLive);
        marker.Ticket = _queue.Add(marker);
        return marker;
    }

    /// <summary>After the order is released: returns once the subscription is live, with what its switch failed with.</summary>
    private async ValueTask AwaitLiveAsync(GoLive? marker)
    {
        if (marker is null)
        {
            return;
        }
        if (!_queue!.TryDeliverThrough(marker.Ticket))
        {
            await _queue.DeliverThroughAsync(marker.Ticket).ConfigureAwait(false);
        }
        marker.ThrowIfFailed();
    }

    /// <summary>Tells every subscriber of a channel on this node that its stream cannot be continued from where it was; live delivery goes on from <paramref name="from"/>.</summary>
    internal void SignalDiscontinuity(string channel, StreamPosition from)
    {
        KeyValuePair<IChannelSubscriber, StreamPosition>[] subscribers = [];
        lock (_subscribers)
        {
            if (_subscribers.TryGetValue(channel, out var set) && set.Count > 0)
            {
                subscribers = [.. set];
                foreach (var (subscriber, _) in subscribers)
                {
                    set[subscriber] = from;
                }
            }
        }
        _log.EpochChanged(_name, channel, subscribers.Length);
        foreach (var (subscriber, _) in subscribers)
        {
            subscriber.Discontinuity(channel, from);
        }
        LiveDiscontinuity?.Invoke(channel, from);
    }

    /// <summary>
    /// Raised when a channel's history changed under its live streams on this node (a new epoch, or offsets
    /// that went back), after its subscribers of the channel protocols were told: the channel, and where live
    /// delivery goes on from. Socket.IO room members have no such signal in their protocol; the channel events
    /// (<c>UseChannelEvents</c>) tell them with a <c>discontinuity</c> event.
    /// </summary>
    public event Action<string, StreamPosition>? LiveDiscontinuity;
}
