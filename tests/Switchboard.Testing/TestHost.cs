using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Switchboard.Testing;

/// <summary>A real Kestrel on a loopback port chosen by the OS, with error logs collected.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestHost(WebApplication app, Uri baseAddress, LogCollector logs)
    {
        _app = app;
        BaseAddress = baseAddress;
        Logs = logs;
    }

    /// <summary>http://127.0.0.1:port/ (also when the host listens on every interface)</summary>
    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public LogCollector Logs { get; }

    public static async Task<TestHost> StartAsync(Action<WebApplicationBuilder> configureBuilder, Action<WebApplication> configureApp, TimeSpan? shutdownTimeout = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var logs = new LogCollector();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(2));
        // Connections still open when a test ends are closed at once, as before the paced drain; the drain's
        // own tests set a window (docs/drain.md).
        builder.Services.Configure<Switchboard.SocketIO.SocketServerOptions>(o => o.Drain.Window = TimeSpan.Zero);
        configureBuilder(builder);
        var app = builder.Build();
        configureApp(app);
        await app.StartAsync().WaitAsync(Timeouts.Default);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
            ?? throw new InvalidOperationException("Kestrel exposes no addresses.");
        var address = new Uri(addresses.Addresses.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/");
        return new TestHost(app, address, logs);
    }

    /// <summary>Stops the host (graceful shutdown, bounded by the host's shutdown timeout).</summary>
    public Task StopAsync() => _app.StopAsync();

    /// <summary>
    /// Stops the host, then fails the test if the server logged an error the test did not take
    /// (<see cref="LogCollector.TakeErrors"/>): an unexpected error is a failure even when every assertion held.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            await _app.DisposeAsync();
        }
        Logs.AssertNoErrors();
    }
}
