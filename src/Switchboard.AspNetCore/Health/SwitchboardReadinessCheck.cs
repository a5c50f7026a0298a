using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Switchboard.AspNetCore.Health;

/// <summary>
/// Readiness of the server itself (docs/operations.md): Healthy once the host has started (Kestrel
/// listens, every hosted service has started) and until shutdown begins. From the moment
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/> fires it answers Unhealthy ("draining"),
/// so a load balancer stops sending new clients while the open connections are closed.
/// </summary>
public sealed class SwitchboardReadinessCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var result = lifetime.ApplicationStopping.IsCancellationRequested ? HealthCheckResult.Unhealthy("draining: shutting down")
            : !lifetime.ApplicationStarted.IsCancellationRequested ? HealthCheckResult.Unhealthy("starting")
            : HealthCheckResult.Healthy("listening");
        return Task.FromResult(result);
    }
}
