using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Switchboard.Diagnostics;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Exports the server's metrics with OpenTelemetry (docs/metrics.md): Switchboard's own meter, ASP.NET
/// Core's and Kestrel's, and the runtime's. Under <c>Switchboard:Telemetry</c>: <c>Enabled</c> (default
/// true; false leaves metrics unexported and unlistened), <c>Prometheus:Enabled</c> (default true) and
/// <c>Prometheus:Path</c> (default <c>/metrics</c>) for the scrape endpoint, and <c>Otlp:Endpoint</c>
/// (or the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>) to push over OTLP as well.
/// </summary>
public static class TelemetryHosting
{
    /// <summary>The meters exported beside Switchboard's own.</summary>
    internal static readonly string[] PlatformMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Runtime",
    ];

    public static void AddTelemetry(this WebApplicationBuilder builder, IConfigurationSection section)
    {
        if (!section.GetValue("Enabled", true))
        {
            return;
        }
        var prometheus = section.GetSection("Prometheus");
        var prometheusOn = prometheus.GetValue("Enabled", true);
        var otlpEndpoint = section["Otlp:Endpoint"];
        var otlpOn = !string.IsNullOrWhiteSpace(otlpEndpoint) || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!prometheusOn && !otlpOn)
        {
            return;
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(section["ServiceName"] ?? "switchboard"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(SwitchboardMetrics.MeterName).AddMeter(PlatformMeters);
                if (prometheusOn)
                {
                    // A scrape sees the counts of that moment: no cached answer (the exporter's default caches 300 ms).
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = prometheus.GetValue("CacheMilliseconds", 0));
                }
                if (otlpOn)
                {
                    metrics.AddOtlpExporter(o =>
                    {
                        if (!string.IsNullOrWhiteSpace(otlpEndpoint))
                        {
                            o.Endpoint = new Uri(otlpEndpoint);
                        }
                    });
                }
            });
        if (prometheusOn)
        {
            // First in the pipeline, so a scrape is not subject to the origin policy or the demos' static files.
            var path = prometheus["Path"] ?? "/metrics";
            builder.Services.AddTransient<IStartupFilter>(_ => new ScrapeEndpointStartupFilter(path));
        }
    }

    private sealed class ScrapeEndpointStartupFilter(string path) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint(path);
            next(app);
        };
    }
}
