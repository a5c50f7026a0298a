using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Engine;
using Switchboard.SocketIO;
using Switchboard.AspNetCore.Transports.EngineIO;

namespace Switchboard.AspNetCore;

/// <summary>Mapping Socket.IO and Engine.IO endpoints.</summary>
public static class SwitchboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the registered <see cref="SocketServer"/> at <paramref name="pattern"/> (default
    /// <c>/socket.io</c>), over HTTP long-polling and WebSocket. <paramref name="configure"/> is where
    /// namespaces, middleware and handlers are set up.
    /// </summary>
    public static IEndpointConventionBuilder MapSocketIO(this IEndpointRouteBuilder endpoints, string pattern = "/socket.io", Action<SocketServer>? configure = null)
    {
        var server = endpoints.ServiceProvider.GetService<SocketServer>()
            ?? throw new InvalidOperationException("Call services.AddSwitchboard() before MapSocketIO.");
        configure?.Invoke(server);
        // Long-lived requests (held polls, WebSockets) would hold up a graceful shutdown: the drain ends
        // them, spread over its window, when the host begins to stop (docs/drain.md).
        var drain = Drain.ConnectionDrain.Of(endpoints.ServiceProvider);
        drain.Add(server.Engine);
        var forwarder = server.Cluster is null ? null
            : new Cluster.PollingForwarder(server, (endpoints.ServiceProvider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("Switchboard.Cluster"));
        if (server.Cluster is not null && server.Options.NodeAddress is null)
        {
            // Where the other nodes forward this node's long-polls: by default the first address Kestrel
            // listens on, known once it has started (a port 0 is bound by then), a wildcard host made reachable.
            endpoints.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStarted.Register(() =>
                server.Options.NodeAddress ??= Cluster.NodeAddress.FromListening(
                    endpoints.ServiceProvider.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses));
        }
        return MapEngine(endpoints, pattern, server.Engine, "Socket.IO", drain, forwarder);
    }

    /// <summary>
    /// Serves a bare Engine.IO v4 endpoint (no Socket.IO on top): <paramref name="onConnection"/> sets
    /// <see cref="EngineSession.Handler"/> for each new session.
    /// </summary>
    public static IEndpointConventionBuilder MapEngineIO(this IEndpointRouteBuilder endpoints, string pattern, Action<EngineSession> onConnection, Action<EngineOptions>? configure = null)
    {
        var options = new EngineOptions();
        configure?.Invoke(options);
        var services = endpoints.ServiceProvider;
        var loggers = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var server = new EngineServer(options, onConnection, loggers.CreateLogger("Switchboard.EngineIO"), services.GetService<TimeProvider>());
        if (services.GetService<Diagnostics.SwitchboardMetrics>() is { } metrics)
        {
            server.UseMetrics(metrics, "engine.io");
        }
        // Its sessions are closed by the drain as the host begins to stop; its timers go once it has stopped.
        var drain = Drain.ConnectionDrain.Of(services);
        drain.Add(server);
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(server.Dispose);
        return MapEngine(endpoints, pattern, server, "Engine.IO", drain);
    }

    private static IEndpointConventionBuilder MapEngine(IEndpointRouteBuilder endpoints, string pattern, EngineServer server, string name, Drain.ConnectionDrain drain, Cluster.PollingForwarder? forwarder = null)
    {
        var loggers = endpoints.ServiceProvider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        // One limiter for every endpoint of the app (docs/protection.md); none when AddSwitchboard was not called.
        var limiter = endpoints.ServiceProvider.GetService<Limits.ConnectionLimiter>();
        if (limiter is not null)
        {
            server.SessionRemoved += session => EngineEndpoint.ReleaseSession(limiter, session);
        }
        var endpoint = new EngineEndpoint(server, loggers.CreateLogger("Switchboard.Transports"), forwarder, limiter, drain);
        pattern = pattern.TrimEnd('/');
        // The direct WebSocket mode answers this path's WebSocket handshakes itself where it is on (UseSwitchboardWebSockets).
        endpoints.ServiceProvider.GetService<Transports.Direct.DirectEndpoints>()?.Add(pattern, endpoint);
        return endpoints.Map(pattern, endpoint.HandleAsync).WithDisplayName($"{name} {pattern}");
    }
}
