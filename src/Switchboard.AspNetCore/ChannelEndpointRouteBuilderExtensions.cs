using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.AspNetCore.HttpApi;
using Switchboard.AspNetCore.Shared;
using Switchboard.AspNetCore.Transports.LongPoll;
using Switchboard.AspNetCore.Transports.ServerSentEvents;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore;

/// <summary>
/// Maps the channel protocols that are plain HTTP: Server-Sent Events, long-poll, and the HTTP API for
/// backends. Each serves the channels of one namespace of the registered <see cref="SocketServer"/>
/// (<c>services.AddSwitchboard()</c>), so a Socket.IO room emit and an HTTP publish reach the same
/// subscribers.
/// </summary>
public static class ChannelEndpointRouteBuilderExtensions
{
    /// <summary>
    /// <c>GET {pattern}?channel=a&amp;channel=b</c>: a text/event-stream of the channels of namespace
    /// <paramref name="ns"/>, resumable with <c>Last-Event-ID</c> (docs/protocols/sse.md).
    /// </summary>
    public static IEndpointConventionBuilder MapServerSentEvents(this IEndpointRouteBuilder endpoints, string pattern, string ns = "/", Action<ServerSentEventsOptions>? configure = null)
    {
        var options = new ServerSentEventsOptions();
        configure?.Invoke(options);
        options.Validate();
        var (server, logger, drain) = Resolve(endpoints, nameof(MapServerSentEvents), ns);
        var heartbeat = new HeartbeatTicker(options.HeartbeatInterval, server.Time);
        endpoints.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(heartbeat.Dispose);
        var endpoint = new ServerSentEventsEndpoint(server.Of(ns).Channels, options, heartbeat, drain, logger);
        return endpoints.MapGet(pattern, Limited(endpoints, endpoint.HandleAsync)).WithDisplayName($"Server-Sent Events {pattern} ({ns})");
    }

    /// <summary>
    /// <c>GET {pattern}?channel=a&amp;cursor=...</c>: long-poll over the channels of namespace
    /// <paramref name="ns"/> (docs/protocols/longpoll.md).
    /// </summary>
    public static IEndpointConventionBuilder MapLongPoll(this IEndpointRouteBuilder endpoints, string pattern, string ns = "/", Action<LongPollOptions>? configure = null)
    {
        var options = new LongPollOptions();
        configure?.Invoke(options);
        options.Validate();
        var (server, logger, drain) = Resolve(endpoints, nameof(MapLongPoll), ns);
        var endpoint = new LongPollEndpoint(server.Of(ns).Channels, options, server.Time, drain, logger);
        // A poll with a cursor continues a client's stream, as an Engine.IO poll with its sid does: it
        // holds a connection slot but takes no handshake token, so a client on a busy channel is not
        // throttled for polling as fast as it is answered.
        return endpoints.MapGet(pattern, Limited(endpoints, endpoint.HandleAsync, static context => context.Request.Query.ContainsKey("cursor")))
            .WithDisplayName($"Long-poll {pattern} ({ns})");
    }

    /// <summary>
    /// The HTTP API for backends under <paramref name="pattern"/>: <c>POST publish</c>, <c>GET history</c>,
    /// <c>GET presence</c>, <c>POST disconnect</c> over the channels of namespace <paramref name="ns"/>,
    /// authenticated with the keys of <paramref name="configure"/> (docs/protocols/http-api.md).
    /// </summary>
    public static IEndpointConventionBuilder MapChannelApi(this IEndpointRouteBuilder endpoints, string pattern, Action<ChannelApiOptions> configure, string ns = "/")
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new ChannelApiOptions();
        configure(options);
        options.Validate();
        var (server, logger, _) = Resolve(endpoints, nameof(MapChannelApi), ns: null);
        var api = new ChannelApiEndpoint(server.Of(ns).Channels, options, server.Time, logger);
        var group = endpoints.MapGroup(pattern);
        group.MapPost("/publish", (RequestDelegate)api.PublishAsync).WithDisplayName($"Channel API publish {pattern} ({ns})");
        group.MapGet("/history", (RequestDelegate)api.HistoryAsync).WithDisplayName($"Channel API history {pattern} ({ns})");
        group.MapGet("/presence", (RequestDelegate)api.PresenceAsync).WithDisplayName($"Channel API presence {pattern} ({ns})");
        group.MapPost("/disconnect", (RequestDelegate)api.DisconnectAsync).WithDisplayName($"Channel API disconnect {pattern} ({ns})");
        return group;
    }

    /// <summary>The endpoint behind the app's <see cref="Limits.ConnectionLimiter"/> (docs/protection.md), when there is one.</summary>
    internal static RequestDelegate Limited(IEndpointRouteBuilder endpoints, RequestDelegate handler, Func<HttpContext, bool>? continues = null) =>
        endpoints.ServiceProvider.GetService<Limits.ConnectionLimiter>() is { } limiter ? limiter.Wrap(handler, continues) : handler;

    private static (SocketServer Server, ILogger Logger, Drain.ConnectionDrain Drain) Resolve(IEndpointRouteBuilder endpoints, string method, string? ns)
    {
        var services = endpoints.ServiceProvider;
        var server = services.GetService<SocketServer>()
            ?? throw new InvalidOperationException($"Call services.AddSwitchboard() before {method}.");
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(ChannelEndpointLog.Category);
        // Streams and held polls would hold up a graceful shutdown: the drain ends them, spread over its
        // window, when the host begins to stop, and refuses new ones meanwhile (docs/drain.md).
        var drain = Drain.ConnectionDrain.Of(services);
        if (ns is not null)
        {
            drain.Add(server.Of(ns).Channels);
        }
        return (server, logger, drain);
    }
}
