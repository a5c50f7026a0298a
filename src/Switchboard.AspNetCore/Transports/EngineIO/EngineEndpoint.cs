using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// The HTTP entry point of one Engine.IO server: validates the query, answers the protocol's errors,
/// and hands the request to the polling or WebSocket transport.
/// </summary>
internal sealed partial class EngineEndpoint(EngineServer server, ILogger logger, Cluster.PollingForwarder? forwarder = null, Limits.ConnectionLimiter? limiter = null,
    Drain.ConnectionDrain? drain = null)
{
    private readonly PollingTransport _polling = new(server, logger);
    private readonly WebSocketTransport _webSocket = new(server, logger);

    public EngineServer Server => server;

    // Without AllowRequest the request goes straight on: no state machine of this method stays alive
    // for the WebSocket's lifetime.
    public Task HandleAsync(HttpContext context) =>
        server.Options.AllowRequest is { } allow && IsNewConnection(context) ? HandleAllowedAsync(context, allow) : DispatchAsync(context, null);

    /// <summary>The request AllowRequest judged is the one a new session keeps: it is built once.</summary>
    private async Task HandleAllowedAsync(HttpContext context, Func<EngineRequest, ValueTask<bool>> allow)
    {
        var request = EngineRequestFactory.Create(context, server.Time);
        if (!await allow(request))
        {
            await Refuse(context, EngineError.Forbidden, "refused by AllowRequest", StatusCodes.Status403Forbidden);
            return;
        }
        await DispatchAsync(context, request);
    }

    /// <summary>A handshake, or a WebSocket joining a session: the requests <see cref="EngineOptions.AllowRequest"/> judges.</summary>
    private static bool IsNewConnection(HttpContext context) =>
        StringValues.IsNullOrEmpty(context.Request.Query["sid"]) || context.WebSockets.IsWebSocketRequest;

    private Task DispatchAsync(HttpContext context, EngineRequest? request)
    {
        var query = context.Request.Query;
        var transport = query["transport"];
        var isPolling = transport == "polling" && server.Options.AllowPolling;
        var isWebSocket = transport == "websocket" && server.Options.AllowWebSocket;
        if (!isPolling && !isWebSocket)
        {
            return Refuse(context, EngineError.UnknownTransport, transport);
        }
        if (query["EIO"] != "4" && !(query["EIO"] == "3" && server.Options.AllowEIO3))
        {
            return Refuse(context, EngineError.UnsupportedProtocolVersion, query["EIO"]);
        }
        var sid = query["sid"];
        if (StringValues.IsNullOrEmpty(sid))
        {
            if (!HttpMethods.IsGet(context.Request.Method))
            {
                return Refuse(context, EngineError.BadHandshakeMethod, context.Request.Method);
            }
            if (drain is { IsDraining: true })
            {
                return RefuseDrainingAsync(context, drain);
            }
            if (isWebSocket)
            {
                if (!context.WebSockets.IsWebSocketRequest)
                {
                    return Refuse(context, EngineError.BadRequest, "websocket transport without an upgrade", name: "TRANSPORT_HANDSHAKE_ERROR");
                }
                return limiter is null ? _webSocket.HandshakeAsync(context, request) : HandshakeAdmittedAsync(context, request, limiter, webSocket: true);
            }
            return limiter is null ? _polling.HandshakeAsync(context, request) : HandshakeAdmittedAsync(context, request, limiter, webSocket: false);
        }

        var session = server.Find(sid.ToString(), forPoll: isPolling && HttpMethods.IsGet(context.Request.Method));
        if (session is null)
        {
            return isPolling && forwarder is not null ? ForwardOrRefuseAsync(context, sid.ToString()) : Refuse(context, EngineError.UnknownSid, sid);
        }
        if (session.Protocol != EngineSession.ProtocolOf(query["EIO"]))
        {
            return Refuse(context, EngineError.BadRequest, "protocol version differs from the session's");
        }
        if (isWebSocket)
        {
            return context.WebSockets.IsWebSocketRequest && server.Options.AllowUpgrades
                ? _webSocket.UpgradeAsync(context, session)
                : Refuse(context, EngineError.BadRequest, "websocket upgrade not possible", name: "TRANSPORT_MISMATCH");
        }
        if (HttpMethods.IsGet(context.Request.Method))
        {
            return _polling.PollAsync(context, session);
        }
        if (HttpMethods.IsPost(context.Request.Method))
        {
            return _polling.PostAsync(context, session);
        }
        return Refuse(context, EngineError.BadRequest, context.Request.Method);
    }

    /// <summary>
    /// A handshake that must first be admitted (docs/protection.md). A polling session holds its slot
    /// until it is removed from the server (see <see cref="ReleaseSession"/>); a WebSocket session while
    /// its request lives, which costs one small state machine per WebSocket (<see cref="HoldWhileOpenAsync"/>).
    /// </summary>
    private Task HandshakeAdmittedAsync(HttpContext context, EngineRequest? request, Limits.ConnectionLimiter limiter, bool webSocket)
    {
        var remote = context.Connection.RemoteIpAddress;
        var admission = limiter.TryAdmit(remote);
        if (admission != Limits.Admission.Admitted)
        {
            context.Response.Headers.RetryAfter = Limits.ConnectionLimiter.RetryAfter(admission);
            EngineEvents.OnRefused(server, context, EngineError.BadRequest, "connection limit", Limits.ConnectionLimiter.Code(admission));
            server.Metrics?.HandshakeRefused(server.PollingTags.Protocol, webSocket ? "websocket" : "polling", Limits.ConnectionLimiter.Code(admission));
            return EngineErrorResponse.WriteAsync(context, EngineError.BadRequest, Limits.ConnectionLimiter.Code(admission), Limits.ConnectionLimiter.Status(admission));
        }
        if (webSocket)
        {
            return HoldWhileOpenAsync(_webSocket, context, request, limiter, remote);
        }
        try
        {
            // The session is opened before this returns; from then on its removal gives the slot back.
            return _polling.HandshakeAsync(context, request);
        }
        catch
        {
            limiter.Release(remote);
            throw;
        }
    }

    private static async Task HoldWhileOpenAsync(WebSocketTransport transport, HttpContext context, EngineRequest? request, Limits.ConnectionLimiter limiter, System.Net.IPAddress? remote)
    {
        try
        {
            await transport.HandshakeAsync(context, request);
        }
        finally
        {
            limiter.Release(remote);
        }
    }

    /// <summary>Gives back the slot of a session opened over polling (one opened over WebSocket gave it back when its request ended).</summary>
    internal static void ReleaseSession(Limits.ConnectionLimiter limiter, EngineSession session)
    {
        if (session.Request.Query.TryGetValue("transport", out var transport) && transport == "polling")
        {
            limiter.Release(session.Request.RemoteAddress);
        }
    }

    /// <summary>
    /// A handshake while the server drains (docs/drain.md): 503 with <c>Retry-After</c>, so a balancer passes
    /// it to another node and a client tries again (socket.io-client reconnects after a handshake error).
    /// Requests of sessions already open go on until the drain closes them.
    /// </summary>
    private Task RefuseDrainingAsync(HttpContext context, Drain.ConnectionDrain drain)
    {
        context.Response.Headers.RetryAfter = drain.RetryAfter;
        EngineEvents.OnRefused(server, context, EngineError.BadRequest, "draining", ShuttingDown);
        if (server.Refusals.ShouldLog(logger, "engine.io refused shutting_down"))
        {
            LogRefused(logger, EngineError.BadRequest, "the server is draining: " + ShuttingDown, context.Connection.RemoteIpAddress?.ToString());
        }
        return EngineErrorResponse.WriteAsync(context, EngineError.BadRequest, ShuttingDown, StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The message of a handshake refused during the drain.</summary>
    internal const string ShuttingDown = "shutting_down";

    /// <summary>A valid polling request for a session this node does not hold: another node of the cluster may.</summary>
    private async Task ForwardOrRefuseAsync(HttpContext context, string sid)
    {
        if (!await forwarder!.TryForwardAsync(context, sid))
        {
            await Refuse(context, EngineError.UnknownSid, sid);
        }
    }

    private Task Refuse(HttpContext context, EngineError error, StringValues detail, int status = StatusCodes.Status400BadRequest, string? name = null)
    {
        EngineEvents.OnRefused(server, context, error, detail.ToString(), name);
        CountRefusedHandshake(context, error);
        if (server.Refusals.ShouldLog(logger, $"engine.io refused {error}"))
        {
            LogRefused(logger, error, detail.ToString(), context.Connection.RemoteIpAddress?.ToString());
        }
        return EngineErrorResponse.WriteAsync(context, error, status);
    }

    [LoggerMessage(10, LogLevel.Information, "Engine.IO request refused: {Error} ({Detail}) from {Remote}")]
    private static partial void LogRefused(ILogger logger, EngineError error, string detail, string? remote);
}
