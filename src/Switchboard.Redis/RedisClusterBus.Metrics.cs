using System.Diagnostics;
using Switchboard.Diagnostics;

namespace Switchboard.Redis;

public sealed partial class RedisClusterBus : IMetricsSource
{
    private SwitchboardMetrics? _metrics;
    private long _liveNodes = -1;

    void IMetricsSource.Attach(SwitchboardMetrics metrics) => _metrics = metrics;

    long? IMetricsSource.ObserveClusterNodes()
    {
        var nodes = Volatile.Read(ref _liveNodes);
        return nodes < 0 ? null : nodes;
    }

    /// <summary>
    /// The heartbeat, timed as a Redis round trip (<c>switchboard.redis.round_trip</c>), and, while metrics
    /// is listened to, followed by a count of the live nodes for <c>switchboard.cluster.nodes</c>: one more
    /// small script per heartbeat interval, none without a listener.
    /// </summary>
    private async Task<bool> TimedHeartbeatAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var expired = await HeartbeatAsync().ConfigureAwait(false);
        if (_metrics is { } metrics)
        {
            metrics.RecordRedisRoundTrip("heartbeat", Stopwatch.GetElapsedTime(started));
            if (metrics.ClusterNodesObserved)
            {
                var nodes = (long)await _database.ScriptEvaluateAsync(ClusterScripts.LiveNodes, [_nodes]).ConfigureAwait(false);
                Volatile.Write(ref _liveNodes, nodes);
            }
        }
        return expired;
    }
}
