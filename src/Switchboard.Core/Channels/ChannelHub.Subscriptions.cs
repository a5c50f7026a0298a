namespace Switchboard.Channels;

public sealed partial class ChannelHub
{
    /// <summary>
    /// Subscribes a connection to a channel, atomically with respect to publications. With a position,
    /// the publications after it are replayed first through <see cref="IChannelSubscriber.Deliver"/>, or,
    /// when the position cannot be continued, <see cref="IChannelSubscriber.Discontinuity"/> is called;
    /// live publications follow. Nothing is lost between replay and live, and nothing repeats.
    /// Returns the channel's position at the moment of subscribing.
    /// </summary>
    public async ValueTask<StreamPosition> SubscribeAsync(string channel, IChannelSubscriber subscriber, StreamPosition? since = null, CancellationToken cancellationToken = default)
    {
        await EnterOrderAsync(cancellationToken).ConfigureAwait(false);
        StreamPosition top;
        GoLive? live;
        try
        {
            var interested = false;
            lock (_subscribers)
            {
                interested = _subscribers.TryGetValue(channel, out var existing) && existing.ContainsKey(subscriber);
            }
            if (!interested)
            {
                // Live publications must reach this node before the position is read.
                await _backplane.AcquireAsync(channel).ConfigureAwait(false);
            }
            if (since is { } from)
            {
                var read = await _store.ReadAsync(_name, channel, from, int.MaxValue, cancellationToken).ConfigureAwait(false);
                top = read.Top;
                if (read.Continuous)
                {
                    foreach (var entry in read.Entries)
                    {
                        subscriber.Deliver(entry);
                    }
                }
                else
                {
                    subscriber.Discontinuity(channel, top);
                }
            }
            else
            {
                top = await _store.GetPositionAsync(_name, channel, cancellationToken).ConfigureAwait(false);
            }
            // What was ordered before this point (in the replay, or before the subscription) is not
            // delivered to it; what is ordered after is.
            var floor = top;
            live = GoLiveLocked(() =>
            {
                lock (_subscribers)
                {
                    if (!_subscribers.TryGetValue(channel, out var set))
                    {
                        _subscribers[channel] = set = [];
                    }
                    set[subscriber] = floor;
                }
                _backplane.NoteSubscribedAt(channel, floor);
            });
        }
        finally
        {
            _order.Release();
        }
        await AwaitLiveAsync(live).ConfigureAwait(false);
        return top;
    }

    /// <summary>Stops delivering <paramref name="channel"/> to <paramref name="subscriber"/>.</summary>
    public void Unsubscribe(string channel, IChannelSubscriber subscriber)
    {
        var removed = false;
        lock (_subscribers)
        {
            if (_subscribers.TryGetValue(channel, out var set) && set.Remove(subscriber))
            {
                removed = true;
                if (set.Count == 0)
                {
                    _subscribers.Remove(channel);
                }
            }
        }
        if (removed)
        {
            _backplane.Release(channel);
        }
    }

    /// <summary>A room got its first local member: in a cluster, its publications must reach this node.</summary>
    internal void RoomCreated(string room) => _backplane.Acquire(room);

    internal void RoomDeleted(string room) => _backplane.Release(room);

    /// <summary>Completes once publications to the room reach this node (at once on a single node).</summary>
    internal Task RoomReadyAsync(string room) => _backplane.ReadyAsync(room);

    /// <summary>
    /// Subscribes a room member (a Socket.IO socket) to a channel, atomically with respect to
    /// publications: with a position, the publications after it go to <paramref name="replay"/> first;
    /// then <paramref name="join"/> puts the member in the room, before any later publication is delivered.
    /// </summary>
    internal async ValueTask<SocketSubscription> SubscribeMemberAsync(string memberId, Func<bool> inRoom, string channel, StreamPosition? since,
        Action<Publication> replay, Action join, CancellationToken cancellationToken)
    {
        await EnterOrderAsync(cancellationToken).ConfigureAwait(false);
        var continuous = true;
        StreamPosition top;
        GoLive? live;
        try
        {
            var held = false;
            if (!inRoom())
            {
                // Held until the member is in the room: live publications reach this node from now on.
                await _backplane.AcquireAsync(channel).ConfigureAwait(false);
                held = true;
            }
            try
            {
                if (since is { } from)
                {
                    var read = await _store.ReadAsync(_name, channel, from, int.MaxValue, cancellationToken).ConfigureAwait(false);
                    top = read.Top;
                    continuous = read.Continuous;
                    foreach (var entry in read.Entries)
                    {
                        replay(entry.Publication);
                    }
                }
                else
                {
                    top = await _store.GetPositionAsync(_name, channel, cancellationToken).ConfigureAwait(false);
                }
                var floor = top;
                live = GoLiveLocked(() =>
                {
                    _backplane.NoteReplayed(channel, memberId, floor);
                    _backplane.NoteSubscribedAt(channel, floor);
                    join();
                });
            }
            finally
            {
                if (held)
                {
                    _backplane.Release(channel);
                }
            }
        }
        finally
        {
            _order.Release();
        }
        await AwaitLiveAsync(live).ConfigureAwait(false);
        return new SocketSubscription(top, continuous);
    }
}
