using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Switchboard.Redis.Health;

namespace Switchboard.Redis;

/// <summary>The Redis cluster's health check for <c>services.AddHealthChecks()</c> (docs/operations.md).</summary>
public static class RedisHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="RedisClusterHealthCheck"/> over the registered <see cref="RedisClusterBus"/>, tagged
    /// <c>ready</c> by default: Unhealthy while Redis is out of reach or the node is not registered.
    /// </summary>
    public static IHealthChecksBuilder AddSwitchboardRedis(this IHealthChecksBuilder builder, string name = "redis", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new RedisClusterHealthCheck(sp.GetRequiredService<RedisClusterBus>()),
            failureStatus: HealthStatus.Unhealthy,
            tags: tags ?? ["ready"]));
    }
}
