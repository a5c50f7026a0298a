using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.Health;

/// <summary>
/// The library's readiness check and options validation on a real Kestrel (docs/operations.md): ready
/// once started, not ready from the moment <see cref="IHostApplicationLifetime.ApplicationStopping"/>
/// fires (a drain relies on it), and a bad <see cref="SocketIO.SocketServerOptions"/> stops the start.
/// </summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task Readiness_turns_503_as_soon_as_ApplicationStopping_fires_while_the_server_still_answers()
    {
        await using var host = await TestHost.StartAsync(
            builder =>
            {
                builder.Services.AddSwitchboard();
                builder.Services.AddHealthChecks().AddSwitchboard();
            },
            app => app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(SwitchboardHealthChecksBuilderExtensions.ReadyTag) }));
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        var ready = await http.GetAsync(new Uri("readyz", UriKind.Relative)).Within();
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // Shutdown begins: the host only fires the event here (no StopAsync yet), so Kestrel keeps answering.
        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        var draining = await http.GetAsync(new Uri("readyz", UriKind.Relative)).Within();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, draining.StatusCode);
        Assert.Equal("Unhealthy", await draining.Content.ReadAsStringAsync().Within());
        // ASP.NET Core's health check service logs every unhealthy result as an error: the one expected here.
        var error = Assert.Single(host.Logs.TakeErrors());
        Assert.Contains("draining: shutting down", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validated_on_start_the_options_are_still_built_once()
    {
        var configured = 0;
        await using var host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(_ => Interlocked.Increment(ref configured)),
            app => app.MapSocketIO());

        Assert.Same(
            host.Services.GetRequiredService<IOptionsMonitor<Switchboard.SocketIO.SocketServerOptions>>().CurrentValue,
            host.Services.GetRequiredService<IOptions<Switchboard.SocketIO.SocketServerOptions>>().Value);
        Assert.Equal(1, configured);
    }

    [Fact]
    public async Task A_bad_option_stops_the_start_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(o =>
            {
                o.Engine.PingInterval = TimeSpan.Zero;
                o.Limits.MaxConnections = -1;
            }),
            app => { }));

        Assert.Equal(
            ["Engine:PingInterval must be more than zero (it is 00:00:00).", "Limits:MaxConnections must be 0 (no limit) or more (it is -1)."],
            error.Failures);
    }
}
