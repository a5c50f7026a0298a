using System.Diagnostics.Metrics;
using Switchboard.Channels;
using Switchboard.Diagnostics;

namespace Switchboard.SocketIO;

public sealed partial class SocketServer : IMetricsSource
{
    private readonly bool _ownsMetrics;

    /// <summary>Where this server's connections, messages, broadcasts and limits are counted (docs/metrics.md).</summary>
    public SwitchboardMetrics Metrics { get; }

    void IMetricsSource.ObserveQueues(QueueObservation queues)
    {
        foreach (var nsp in Namespaces)
        {
            nsp.Channels.ObserveQueues(queues);
        }
    }

    void IMetricsSource.ObserveTraffic(TrafficObservation traffic)
    {
        foreach (var nsp in Namespaces)
        {
            nsp.Channels.ObserveTraffic(traffic);
        }
    }

    void IMetricsSource.ObserveHistory(HistoryObservation history)
    {
        if (ChannelStore is InMemoryChannelStore store)
        {
            history.Bytes += store.Bytes;
            history.Channels += store.ChannelCount;
        }
    }

    void IMetricsSource.ObserveRefusals(ICollection<Measurement<long>> refusals) => Limits.Observe(refusals);
}
