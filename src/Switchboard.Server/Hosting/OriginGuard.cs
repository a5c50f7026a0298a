using Switchboard.Engine;
using Switchboard.Logging;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Applies <see cref="AllowedOrigins"/> to requests and logs every foreign Origin it meets, with the
/// Origin and the Host it was compared with, so a proxy that changes the <c>Host</c> is seen at once
/// (docs/proxies.md). Lines are throttled per kind like every refusal (<c>Engine:RefusalLogInterval</c>).
/// </summary>
internal sealed partial class OriginGuard(AllowedOrigins origins, ILogger<OriginGuard> logger, LogThrottle throttle)
{
    /// <summary>Whether a WebSocket handshake to <paramref name="path"/> may open; logs the refusal.</summary>
    public bool AllowsWebSocket(string? origin, HostString host, string path)
    {
        if (origin is null || origins.Allows(origin, host))
        {
            return true;
        }
        if (throttle.ShouldLog(logger, "origin refused"))
        {
            WebSocketRefused(logger, path, origin, host.Value ?? "");
        }
        return false;
    }

    /// <summary>
    /// Notes a request that CORS answers without its headers (polling, SSE, long-poll from a foreign
    /// page): the server serves it, the browser refuses it to the page. Returns whether the origin is allowed.
    /// </summary>
    public bool NoteCors(string? origin, HostString host, string path)
    {
        if (origin is null || origins.Allows(origin, host))
        {
            return true;
        }
        if (throttle.ShouldLog(logger, "origin without cors"))
        {
            ServedWithoutCors(logger, path, origin, host.Value ?? "");
        }
        return false;
    }

    /// <summary>
    /// <see cref="EngineOptions.AllowRequest"/> for the Socket.IO endpoint: refuses a WebSocket handshake
    /// or upgrade whose Origin is not allowed. Polling requests pass: CORS decides whether a browser may
    /// read their answers. Requests without an Origin come from non-browser clients.
    /// </summary>
    public ValueTask<bool> AllowsEngineRequest(EngineRequest request)
    {
        var allowed = !request.Query.TryGetValue("transport", out var transport) || transport != "websocket"
            || AllowsWebSocket(request.Headers.GetValueOrDefault("origin"), new HostString(request.Headers.GetValueOrDefault("host", "")), "/socket.io");
        return ValueTask.FromResult(allowed);
    }

    [LoggerMessage(1210, LogLevel.Information,
        "WebSocket to {Path} refused: its Origin {Origin} is neither the request's host {Host} nor listed in Switchboard:Cors:Origins (behind a proxy: docs/proxies.md)")]
    private static partial void WebSocketRefused(ILogger logger, string path, string origin, string host);

    [LoggerMessage(1211, LogLevel.Information,
        "{Path} answered without CORS headers, so the browser keeps it from the page: its Origin {Origin} is neither the request's host {Host} nor listed in Switchboard:Cors:Origins")]
    private static partial void ServedWithoutCors(ILogger logger, string path, string origin, string host);
}
