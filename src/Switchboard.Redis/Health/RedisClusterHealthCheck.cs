using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Switchboard.Redis.Health;

/// <summary>
/// Readiness of a cluster node (docs/operations.md): Redis answers a PING, the node has joined (inbox
/// subscribed, lease taken) and its lease is fresh. The answer names the node and the Redis server it
/// follows. Meant for readiness only: a node without Redis still serves its local clients, so liveness
/// must not depend on it.
/// </summary>
public sealed class RedisClusterHealthCheck(RedisClusterBus bus) : IHealthCheck
{
    /// <summary>How long the PING may take before Redis counts as unreachable.</summary>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    /// <inheritdoc/>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["node"] = bus.NodeId,
        };
        TimeSpan latency;
        try
        {
            latency = await bus.PingAsync().WaitAsync(PingTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            data["redis"] = bus.Endpoint;
            return HealthCheckResult.Unhealthy($"Redis unreachable: {RedisFailure.Describe(ex)}", data: data);
        }
        data["redis"] = bus.Endpoint;
        data["pingMs"] = Math.Round(latency.TotalMilliseconds, 1);
        if (!bus.Joined)
        {
            return HealthCheckResult.Unhealthy("not joined the cluster yet", data: data);
        }
        var since = bus.SinceLeaseRenewed;
        if (since is null || since > bus.NodeLease)
        {
            return HealthCheckResult.Unhealthy($"lease not renewed for {since?.TotalSeconds ?? 0:0} s: other nodes no longer count this one", data: data);
        }
        return HealthCheckResult.Healthy("joined, lease fresh", data);
    }
}
