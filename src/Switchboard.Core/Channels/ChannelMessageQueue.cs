using Switchboard.Engine;

namespace Switchboard.Channels;

/// <summary>
/// A channel connection's outbound queue: many writers (the hub's deliveries, disconnects, signals),
/// one reader at a time (its transport). The engine sessions' queue (<see cref="OutboundQueue{T}"/>), for
/// the same reasons: an unbounded <c>Channel</c> costs about 2 KB of segment per connection, which a fan-out
/// to thousands of connections walks through on every publication, and a waiter object per wait with a
/// cancellable token. Here an idle connection holds a ring of four slots and one reusable waiter; the
/// reader is woken by a thread-pool work item on the global queue, in the order of the wake-ups, and
/// the work item is the queue itself, so nothing is allocated per wake-up.
/// </summary>
internal sealed class ChannelMessageQueue : OutboundQueue<ChannelMessage>
{
    /// <summary>What a queued message costs beyond its data (its slot, its share of the encoded frames).</summary>
    internal const int ItemOverhead = 64;

    /// <summary>A publication weighs its JSON data, a reply its frame, a discontinuity its overhead; a close or a signal nothing (never refused).</summary>
    protected override long SizeOf(in ChannelMessage item) => item.Kind switch
    {
        ChannelMessageKind.Publication => ItemOverhead + item.Entry.Publication.Data.Length,
        ChannelMessageKind.Discontinuity => ItemOverhead,
        ChannelMessageKind.Frame => ItemOverhead + item.Frame!.Length,
        _ => 0,
    };
}
