using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// Raises the Engine.IO server's request-level events (<see cref="EngineServer.ConnectionError"/>,
/// <see cref="EngineServer.InitialHeaders"/>, <see cref="EngineServer.Headers"/>) from the transports.
/// Nothing is built for a request unless someone listens.
/// </summary>
internal static class EngineEvents
{
    /// <summary>
    /// The response headers of a successful request may be changed; call before the body (or the
    /// WebSocket upgrade) is written. <paramref name="request"/> is the request already built, if any.
    /// </summary>
    public static void OnHeaders(EngineServer server, HttpContext context, EngineRequest? request = null)
    {
        if (!server.HasHeaderHandlers)
        {
            return;
        }
        var initial = StringValues.IsNullOrEmpty(context.Request.Query["sid"]);
        server.OnHeaders(new EngineHeaders(request ?? EngineRequestFactory.Create(context, server.Time), context.Response.Headers, initial));
    }

    /// <summary>A request is refused: raises the event with engine.io's context for the error.</summary>
    public static void OnRefused(EngineServer server, HttpContext context, EngineError error, string detail, string? name = null)
    {
        if (!server.HasConnectionErrorHandlers)
        {
            return;
        }
        var key = error switch
        {
            EngineError.UnknownTransport => "transport",
            EngineError.UnknownSid => "sid",
            EngineError.BadHandshakeMethod => "method",
            EngineError.UnsupportedProtocolVersion => "protocol",
            EngineError.Forbidden => "message",
            _ => "detail",
        };
        var details = new Dictionary<string, string>(StringComparer.Ordinal) { [key] = detail };
        if (name is not null)
        {
            details["name"] = name;
        }
        server.OnConnectionError(new EngineConnectionError(EngineRequestFactory.Create(context, server.Time), error, EngineErrors.Message(error), details));
    }
}
