using Switchboard.Channels;

namespace Switchboard.PublishBench;

/// <summary>
/// A channel subscriber that only counts what it is handed: the hub's side of a delivery (the call under
/// the order) without a transport behind it. A real connection queues the entry instead.
/// </summary>
internal sealed class CountingSubscriber(string id, CountingSubscriber.Total total) : IChannelSubscriber
{
    public string ConnectionId => id;

    public void Deliver(in ChannelEntry entry) => Interlocked.Increment(ref total.Deliveries);

    public void Discontinuity(string channel, StreamPosition top) => Interlocked.Increment(ref total.Discontinuities);

    /// <summary>What every subscriber of a run received.</summary>
    internal sealed class Total
    {
        public long Deliveries;
        public long Discontinuities;
    }
}
