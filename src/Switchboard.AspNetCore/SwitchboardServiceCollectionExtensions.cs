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

public static class SwitchboardServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Socket.IO server (<see cref="SocketServer"/>) as a singleton configured through
    /// <see cref="SocketServerOptions"/>, and WebSocket support. Map it with
    /// <see cref="SwitchboardEndpointRouteBuilderExtensions.MapSocketIO"/>.
    /// </summary>
    public static IServiceCollection AddSwitchboard(this IServiceCollection services, Action<SocketServerOptions>? configure = null)
    {
        var options = services.AddOptions<SocketServerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddSingleton(TimeProvider.System);
        // One meter per host, from its IMeterFactory (docs/metrics.md).
        services.TryAddSingleton(sp => new SwitchboardMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => new SocketServer(
            sp.GetRequiredService<IOptions<SocketServerOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<SwitchboardMetrics>()));
        services.TryAddSingleton(sp =>
        {
            var limiter = new Limits.ConnectionLimiter(
                sp.GetRequiredService<IOptions<SocketServerOptions>>().Value.Limits,
                sp.GetRequiredService<TimeProvider>(),
                (sp.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("Switchboard.Limits"));
            sp.GetRequiredService<SwitchboardMetrics>().Observe(limiter);
            return limiter;
        });
        services.TryAddSingleton<IChannelAuthorizer, AllowAllChannelAuthorizer>();
        // One throttle of refusal log lines for every protocol (EngineOptions.RefusalLogInterval).
        services.TryAddSingleton(sp => sp.GetRequiredService<SocketServer>().Engine.Refusals);
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, WebSocketsStartupFilter>());
        return services;
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
