using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Switchboard.AspNetCore.Transports.Direct;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// The direct mode's entry (docs/decisions/0015-own-the-connection.md): a WebSocket-only Engine.IO v4 handshake
/// answered on the connection's pipe. What the mode does not take goes through <see cref="HandleAsync"/> as
/// before: polling, a WebSocket joining a polling session (<c>sid</c>), Engine.IO v3, a handshake while the
/// server drains, and servers with a session cookie or header events (which write to an HTTP response).
/// </summary>
internal sealed partial class EngineEndpoint : IDirectWebSocketEndpoint
{
    public bool Takes(WebSocketHandshakeRequest request)
    {
        var options = server.Options;
        // permessage-deflate, when the server offers it and the client asks, is negotiated on Kestrel's path.
        if (!options.AllowWebSocket || options.Cookie is not null || server.HasHeaderHandlers || drain is { IsDraining: true }
            || (options.PerMessageDeflate.Enabled && DirectHandshakes.OffersDeflate(request)))
        {
            return false;
        }
        var query = QueryHelpers.ParseQuery(request.Query.ToString());
        return query.TryGetValue("transport", out var transport) && transport == "websocket"
            && query.TryGetValue("EIO", out var eio) && eio == "4"
            && StringValues.IsNullOrEmpty(query.GetValueOrDefault("sid"));
    }

    /// <summary>
    /// Not an async method itself: what awaits the connection's life (<see cref="RunAdmittedAsync"/>) keeps the
    /// session's <see cref="EngineRequest"/>, not the parsed head it was made from (docs/performance.md, S1).
    /// </summary>
    public Task RunDirectAsync(ConnectionContext connection, WebSocketHandshakeRequest handshake, DirectWebSocketOptions options)
    {
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        var secure = connection.Features.Get<ITlsHandshakeFeature>() is not null;
        var request = EngineRequestFactory.Create(handshake, remote, secure, server.Time);
        var output = connection.Transport.Output;
        if (!DirectOrigins.Allows(options, handshake))
        {
            return RefuseDirectAsync(output, request, EngineError.Forbidden, "origin not allowed", StatusCodes.Status403Forbidden);
        }
        if (limiter is not null)
        {
            var admission = limiter.TryAdmit(remote);
            if (admission != Limits.Admission.Admitted)
            {
                var code = Limits.ConnectionLimiter.Code(admission);
                server.Metrics?.HandshakeRefused(server.PollingTags.Protocol, "websocket", code);
                RaiseRefused(request, EngineError.BadRequest, "connection limit", code);
                return DirectResponse.WriteAsync(output, Limits.ConnectionLimiter.Status(admission), "application/json",
                    ErrorBody(EngineError.BadRequest, code), $"Retry-After: {Limits.ConnectionLimiter.RetryAfter(admission)}\r\n");
            }
        }
        handshake.IsWebSocketHandshake(out var key);
        return RunAdmittedAsync(connection, key, request, remote);
    }

    private async Task RunAdmittedAsync(ConnectionContext connection, string key, EngineRequest request, IPAddress? remote)
    {
        try
        {
            if (server.Options.AllowRequest is { } allow && !await allow(request).ConfigureAwait(false))
            {
                await RefuseDirectAsync(connection.Transport.Output, request, EngineError.Forbidden, "refused by AllowRequest", StatusCodes.Status403Forbidden).ConfigureAwait(false);
                return;
            }
            var run = _webSocket.HandshakeDirectAsync(connection, key, request);
            // Kept for the connection's life otherwise: the key and the request (the session has its own reference).
            key = null!;
            request = null!;
            await run.ConfigureAwait(false);
        }
        finally
        {
            limiter?.Release(remote);
        }
    }

    private Task RefuseDirectAsync(System.IO.Pipelines.PipeWriter output, EngineRequest request, EngineError error, string detail, int status)
    {
        RaiseRefused(request, error, detail, null);
        server.Metrics?.HandshakeRefused(server.PollingTags.Protocol, "websocket", error == EngineError.Forbidden ? "forbidden" : "bad_request");
        if (server.Refusals.ShouldLog(logger, $"engine.io refused {error}"))
        {
            LogRefused(logger, error, detail, request.RemoteAddress?.ToString());
        }
        return DirectResponse.WriteAsync(output, status, "application/json",
            ErrorBody(error, EngineErrors.Message(error)));
    }

    private void RaiseRefused(EngineRequest request, EngineError error, string detail, string? name)
    {
        if (!server.HasConnectionErrorHandlers)
        {
            return;
        }
        var details = new Dictionary<string, string>(StringComparer.Ordinal) { [error == EngineError.Forbidden ? "message" : "detail"] = detail };
        if (name is not null)
        {
            details["name"] = name;
        }
        server.OnConnectionError(new EngineConnectionError(request, error, EngineErrors.Message(error), details));
    }

    private static byte[] ErrorBody(EngineError error, string message) =>
        JsonSerializer.SerializeToUtf8Bytes(new ErrorBody((int)error, message), ErrorJson.Default.ErrorBody);
}

/// <summary>The direct mode's origin check (<see cref="DirectWebSocketOptions.AllowedOrigins"/>).</summary>
internal static class DirectOrigins
{
    public static bool Allows(DirectWebSocketOptions options, WebSocketHandshakeRequest request)
    {
        if (options.AllowOrigin is { } allow)
        {
            return allow(request.Header("Origin"), request.Header("Host"));
        }
        if (options.AllowedOrigins.Count == 0 || request.Header("Origin") is not { } origin)
        {
            return true;
        }
        var host = request.Header("Host");
        if (host is not null && (string.Equals(origin, "http://" + host, StringComparison.OrdinalIgnoreCase)
            || string.Equals(origin, "https://" + host, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }
        foreach (var allowed in options.AllowedOrigins)
        {
            if (string.Equals(origin, allowed.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
