using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Switchboard.Bench.Server;

/// <summary>
/// Metrics switched on and off in one running server (Switchboard:Telemetry=toggle): <c>POST
/// /bench/telemetry/on</c> builds an OpenTelemetry MeterProvider over the same meters as the standalone
/// server, with a pull reader that nothing collects during a run (as a Prometheus exporter between
/// scrapes); <c>/off</c> disposes it, so every instrument is unlistened again. Runs alternated against one
/// process compare metrics on and off without the spread between processes (docs/performance.md, Metrics).
/// </summary>
internal sealed class TelemetryToggle : IDisposable
{
    private readonly Lock _lock = new();
    private MeterProvider? _provider;

    public bool On
    {
        get
        {
            lock (_lock)
            {
                return _provider is not null;
            }
        }
    }

    public void Set(bool on, string[] meters)
    {
        lock (_lock)
        {
            if (on && _provider is null)
            {
                _provider = Sdk.CreateMeterProviderBuilder()
                    .AddMeter(meters)
                    .AddReader(new BaseExportingMetricReader(new UncollectedExporter()))
                    .Build();
            }
            else if (!on && _provider is not null)
            {
                _provider.Dispose();
                _provider = null;
            }
        }
    }

    public void Dispose() => Set(false, []);

    private sealed class UncollectedExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
