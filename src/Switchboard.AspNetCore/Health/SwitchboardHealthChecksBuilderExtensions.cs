using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Switchboard.AspNetCore.Health;

namespace Switchboard.AspNetCore;

/// <summary>Switchboard's health checks for <c>services.AddHealthChecks()</c> (docs/operations.md).</summary>
public static class SwitchboardHealthChecksBuilderExtensions
{
    /// <summary>The tag of the checks that decide readiness; liveness runs none of them.</summary>
    public const string ReadyTag = "ready";

    /// <summary>
    /// Adds <see cref="SwitchboardReadinessCheck"/>, tagged <see cref="ReadyTag"/> by default: Unhealthy
    /// while starting and from the moment shutdown begins. Map it with
    /// <c>app.MapHealthChecks("/readyz", new() { Predicate = r =&gt; r.Tags.Contains("ready") })</c>.
    /// </summary>
    public static IHealthChecksBuilder AddSwitchboard(this IHealthChecksBuilder builder, string name = "switchboard", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new SwitchboardReadinessCheck(sp.GetRequiredService<IHostApplicationLifetime>()),
            failureStatus: HealthStatus.Unhealthy,
            tags: tags ?? [ReadyTag]));
    }
}
