using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.AspNetCore.Transports.PlainWebSocket;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore;

/// <summary>Mapping the plain WebSocket channel protocol (docs/protocols/websocket.md).</summary>
public static class PlainWebSocketEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the channels of namespace <paramref name="ns"/> over the plain WebSocket protocol
    /// (JSON frames any WebSocket client can speak; docs/protocols/websocket.md) at <paramref name="pattern"/>.
    /// Clients are authorized by the registered <c>IChannelAuthorizer</c> from a token in the
    /// <c>Authorization</c> header, the <c>token</c> query parameter or the <c>sb_token</c> cookie.
    /// Needs <see cref="SwitchboardServiceCollectionExtensions.AddSwitchboard"/>.
    /// </summary>
    public static IEndpointConventionBuilder MapChannelWebSocket(this IEndpointRouteBuilder endpoints, string pattern = "/ws", string ns = "/",
        Action<PlainWebSocketOptions>? configure = null)
    {
        var services = endpoints.ServiceProvider;
        var server = services.GetService<SocketServer>()
            ?? throw new InvalidOperationException("Call services.AddSwitchboard() before MapChannelWebSocket.");
        var options = new PlainWebSocketOptions();
        configure?.Invoke(options);
        options.Validate();
        var loggers = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        // Open WebSockets would hold up a graceful shutdown: the drain closes them, spread over its window,
        // when the host begins to stop, and refuses new ones meanwhile (docs/drain.md).
        var drain = Drain.ConnectionDrain.Of(services);
        drain.Add(server.Of(ns).Channels);
        var endpoint = new PlainWebSocketEndpoint(server.Of(ns).Channels, server.Engine.Refusals, options, loggers.CreateLogger(PlainWebSocketLog.Category), server.Time, drain) { Services = services };
        // The direct WebSocket mode answers this path's handshakes itself where it is on (UseSwitchboardWebSockets).
        services.GetService<Transports.Direct.DirectEndpoints>()?.Add(pattern, endpoint);
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(endpoint.Dispose);
        return endpoints.Map(pattern, ChannelEndpointRouteBuilderExtensions.Limited(endpoints, endpoint.HandleAsync)).WithDisplayName($"Channels WebSocket {pattern}");
    }
}
