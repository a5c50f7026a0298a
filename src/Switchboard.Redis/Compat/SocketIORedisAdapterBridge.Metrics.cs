using Switchboard.Diagnostics;

namespace Switchboard.Redis.Compat;

/// <summary>The bridge is observed as the bus it wraps (its heartbeat, its view of the nodes).</summary>
public sealed partial class SocketIORedisAdapterBridge : IMetricsSource
{
    void IMetricsSource.Attach(SwitchboardMetrics metrics) => (_inner as IMetricsSource)?.Attach(metrics);

    long? IMetricsSource.ObserveClusterNodes() => (_inner as IMetricsSource)?.ObserveClusterNodes();
}
