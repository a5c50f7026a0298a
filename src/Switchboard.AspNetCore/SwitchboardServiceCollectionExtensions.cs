using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using System.Diagnostics.Metrics;
using Switchboard.Channels;
using Switchboard.Diagnostics;
using Switchboard.SocketIO;
using Switchboard.Logging;

namespace Switchboard.AspNetCore;

/// <summary>Registering Switchboard's services.</summary>
public static class SwitchboardServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Socket.IO server (<see cref="SocketServer"/>) as a singleton configured through
    /// <see cref="SocketServerOptions"/>, and WebSocket support. Map it with
    /// <see cref="SwitchboardEndpointRouteBuilderExtensions.MapSocketIO"/>. The options are validated
    /// on start (<see cref="SocketServerOptionsValidator"/>). Backends plug into the returned builder:
    /// <c>.AddRedis(...)</c> (Switchboard.Redis), <c>.AddInMemoryCluster(...)</c>, <c>.AddCluster(bus)</c>,
    /// <c>.AddChannelStore(...)</c>, <c>.AddAdapter(...)</c>.
    /// </summary>
    public static ISwitchboardBuilder AddSwitchboard(this IServiceCollection services, Action<SocketServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SocketServerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        // A bad setting ends the start with a message naming it, not the first connection (docs/operations.md).
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SocketServerOptions>, SocketServerOptionsValidator>());
        options.ValidateOnStart();
        // Validation on start builds the options through IOptionsMonitor; IOptions hands out that same
        // instance, so the configure callbacks (which may open connections) run once, not twice.
        services.TryAddSingleton<IOptions<SocketServerOptions>>(sp => Options.Create(sp.GetRequiredService<IOptionsMonitor<SocketServerOptions>>().CurrentValue));
        services.TryAddSingleton(TimeProvider.System);
        // One meter per host, from its IMeterFactory (docs/metrics.md).
        services.TryAddSingleton(sp => new SwitchboardMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => new SocketServer(
            sp.GetRequiredService<IOptions<SocketServerOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<SwitchboardMetrics>(),
            sp.GetService<Switchboard.Cluster.IClusterBus>(),
            sp.GetService<IChannelStore>(),
            sp.GetService<SocketAdapterFactory>()?.Create));
        services.TryAddSingleton(sp =>
        {
            var limiter = new Limits.ConnectionLimiter(
                sp.GetRequiredService<IOptions<SocketServerOptions>>().Value.Limits,
                sp.GetRequiredService<TimeProvider>(),
                (sp.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("Switchboard.Limits"));
            sp.GetRequiredService<SwitchboardMetrics>().Observe(limiter);
            return limiter;
        });
        // The paced drain of every endpoint's connections when the host stops (docs/drain.md).
        services.TryAddSingleton(sp => new Drain.ConnectionDrain(
            sp.GetRequiredService<IOptions<SocketServerOptions>>().Value.Drain,
            sp.GetRequiredService<TimeProvider>(),
            (sp.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger(Drain.ConnectionDrain.Category)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, Drain.DrainHostedService>());
        services.TryAddSingleton<IChannelAuthorizer, AllowAllChannelAuthorizer>();
        // The endpoints the direct WebSocket mode may serve, filled as they are mapped (docs/decisions/0015-own-the-connection.md).
        services.TryAddSingleton<Transports.Direct.DirectEndpoints>();
        // One throttle of refusal log lines for every protocol (EngineOptions.RefusalLogInterval).
        services.TryAddSingleton(sp => sp.GetRequiredService<SocketServer>().Engine.Refusals);
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, WebSocketsStartupFilter>());
        return new SwitchboardBuilder(services);
    }

    /// <summary>
    /// Puts the WebSocket middleware first in the pipeline. Engine.IO has its own heartbeat, so the
    /// WebSocket protocol's keep-alive pings are turned off.
    /// </summary>
    private sealed class WebSocketsStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
            next(app);
        };
    }
}
