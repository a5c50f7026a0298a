using Switchboard.Engine;
using Switchboard.Protocols;

namespace Switchboard.Channels;

public abstract partial class ChannelConnection
{
    /// <summary>Called in the hub's publication order, so one at a time per connection.</summary>
    private void Enqueue(ChannelMessage message)
    {
        if (IsClosed)
        {
            return;
        }
        // What a subscription replays is owed, not piling up: it never counts as slow (history bounds it).
        var replaying = Volatile.Read(ref _replaying) != 0;
        var rule = _rules is not null && message.Kind == ChannelMessageKind.Publication ? RuleOf(message.Channel!) : null;
        if (rule?.Policy == SlowConsumerPolicy.LatestPerKey && Conflate(ref message, rule))
        {
            return;
        }
        if (Interlocked.Increment(ref _queued) > MaxQueued && !replaying)
        {
            Disconnect(DisconnectCode.SlowConsumer);
            return;
        }
        if (_queue.Write(message, force: replaying) != QueueWrite.OverBudget)
        {
            return;
        }
        if (rule?.Policy == SlowConsumerPolicy.DropOldest && DropQueued(message.Channel!))
        {
            Hub.Metrics.SlowConsumer(Protocol, "drop_oldest");
            _queue.Write(message, force: true);
            return;
        }
        Disconnect(DisconnectCode.SlowConsumer);
        if (_queue.TryForgetSend())
        {
            // A write is under way while the budget is full: the client is not reading, and the close
            // could only reach it behind everything already in the network. Drop it now.
            OnSendTimeout();
        }
    }

    private SlowConsumerRule? RuleOf(string channel)
    {
        lock (_policyGate)
        {
            return _rules!.GetValueOrDefault(channel);
        }
    }

    /// <summary>
    /// Under LatestPerKey: true when a publication of the same key already waits, which this one replaces;
    /// otherwise <paramref name="message"/> becomes the key's placeholder, to be queued.
    /// </summary>
    private bool Conflate(ref ChannelMessage message, SlowConsumerRule rule)
    {
        var key = message.Entry.Publication.KeyOf(rule.Key);
        lock (_policyGate)
        {
            _latest ??= [];
            ref var waiting = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_latest, (message.Channel!, key), out var exists);
            waiting = message.Entry;
            if (exists)
            {
                return true;
            }
        }
        message = message with { Key = key };
        return false;
    }

    /// <summary>
    /// Under DropOldest: drops the channel's publications that wait, and queues one discontinuity in their
    /// place, at the position of the last one dropped. False when none waited (the budget is taken by others).
    /// </summary>
    private bool DropQueued(string channel)
    {
        var dropped = new DroppedPublications(channel);
        var removed = _queue.RemoveWhere(
            static (m, d) => m.Kind == ChannelMessageKind.Publication && string.Equals(m.Channel, d.Channel, StringComparison.Ordinal),
            static (m, d) => d.Last = m.Entry.Position,
            dropped);
        if (removed == 0)
        {
            return false;
        }
        Interlocked.Add(ref _queued, -removed);
        Interlocked.Increment(ref _queued);
        _queue.Write(new ChannelMessage(ChannelMessageKind.Discontinuity, Channel: channel, Top: dropped.Last), force: true);
        return true;
    }

    private sealed class DroppedPublications(string channel)
    {
        public string Channel => channel;

        public StreamPosition Last { get; set; }
    }
}
