using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Switchboard.Redis;

/// <summary>
/// Which Redis primary the node follows: reported for readiness (<see cref="Primary"/>) and logged when it
/// changes (a Sentinel failover, a reconnection), so an operator sees each node move (docs/cluster.md).
/// </summary>
public sealed partial class RedisClusterBus
{
    private string? _reportedPrimary;

    /// <summary>The primary this node's connection writes to now (<c>host:port</c>), or null while none is connected.</summary>
    public string? Primary => RedisFailure.Primary(_redis);

    private void WatchPrimary()
    {
        _redis.ConfigurationChanged += OnTopologyChanged;
        _redis.ConnectionRestored += OnTopologyChanged;
        _redis.ConnectionFailed += OnTopologyChanged;
        ReportPrimary();
    }

    private void UnwatchPrimary()
    {
        _redis.ConfigurationChanged -= OnTopologyChanged;
        _redis.ConnectionRestored -= OnTopologyChanged;
        _redis.ConnectionFailed -= OnTopologyChanged;
    }

    private void OnTopologyChanged(object? sender, EventArgs e) => ReportPrimary();

    /// <summary>Logs the primary when it is not the one last logged.</summary>
    private void ReportPrimary()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        var primary = Primary ?? "none";
        if (Interlocked.Exchange(ref _reportedPrimary, primary) != primary)
        {
            Log.FollowsPrimary(_log, NodeId, primary);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(23, LogLevel.Information, "Cluster node {Node} follows the Redis primary {Primary}")]
        public static partial void FollowsPrimary(ILogger logger, string node, string primary);
    }
}
