using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Shared;
using Switchboard.AspNetCore.Transports.Direct;
using Switchboard.AspNetCore.Transports.EngineIO;
using Switchboard.Channels;
using Switchboard.Protocols;
using Switchboard.Protocols.Plain;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.AspNetCore.Transports.PlainWebSocket;

/// <summary>
/// The plain WebSocket protocol on the direct mode's path (docs/decisions/0015-own-the-connection.md): the same
/// checks as <see cref="HandleAsync"/> — the connection limits, the token (<c>Authorization: Bearer</c>, the
/// <c>token</c> query parameter, the <c>sb_token</c> cookie) through the registered <see cref="IChannelAuthorizer"/>,
/// the subprotocol — then the same <see cref="PlainWebSocketConnection"/> over a <see cref="PipeWebSocket"/>, with
/// its keep-alive pings. Not taken (left to Kestrel): a handshake while the server drains, one offering
/// subprotocols without this protocol's.
/// </summary>
internal sealed partial class PlainWebSocketEndpoint : IDirectWebSocketEndpoint
{
    /// <summary>The app's services (the authorizer, the connection limiter), set by <c>MapChannelWebSocket</c>.</summary>
    internal IServiceProvider? Services { get; init; }

    public bool Takes(WebSocketHandshakeRequest request) =>
        !_drain.IsDraining
        && (request.Header("Sec-WebSocket-Protocol") is null || request.HeaderHasToken("Sec-WebSocket-Protocol", PlainProtocol.SubProtocol))
        && !(_options.PerMessageDeflate.Enabled && DirectHandshakes.OffersDeflate(request));

    public async Task RunDirectAsync(ConnectionContext connection, WebSocketHandshakeRequest request, DirectWebSocketOptions options)
    {
        var output = connection.Transport.Output;
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (!DirectOrigins.Allows(options, request))
        {
            await RefuseDirectAsync(output, request, StatusCodes.Status403Forbidden, "forbidden_origin", "this origin may not open a WebSocket here").ConfigureAwait(false);
            return;
        }
        var limiter = Services?.GetService<Limits.ConnectionLimiter>();
        if (limiter is not null)
        {
            var admission = limiter.TryAdmit(remote);
            if (admission != Limits.Admission.Admitted)
            {
                await RefuseDirectAsync(output, request, Limits.ConnectionLimiter.Status(admission), Limits.ConnectionLimiter.Code(admission),
                    Limits.ConnectionLimiter.Message(admission), $"Retry-After: {Limits.ConnectionLimiter.RetryAfter(admission)}\r\n").ConfigureAwait(false);
                return;
            }
        }
        try
        {
            var authorizer = Services?.GetService<IChannelAuthorizer>() ?? new AllowAllChannelAuthorizer();
            var auth = await authorizer.AuthorizeAsync(Token(request), CancellationToken.None).ConfigureAwait(false);
            if (!auth.Succeeded)
            {
                _hub.Metrics.HandshakeRefused("websocket", "websocket", "unauthorized");
                await RefuseDirectAsync(output, request, StatusCodes.Status401Unauthorized, ChannelRequestAuth.FailureCode(auth), auth.Message ?? "Unauthorized",
                    "WWW-Authenticate: Bearer\r\n").ConfigureAwait(false);
                return;
            }
            request.IsWebSocketHandshake(out var key);
            var subProtocol = request.Header("Sec-WebSocket-Protocol") is null ? null : $"Sec-WebSocket-Protocol: {PlainProtocol.SubProtocol}\r\n";
            WebSocketHandshakeRequest.WriteAccept(output, key, subProtocol);
            var flushed = await output.FlushAsync().ConfigureAwait(false);
            if (flushed.IsCompleted)
            {
                return;
            }
            // The connection's read loop enforces MaxMessageSize with the protocol's own close, as on Kestrel's path.
            using var socket = new PipeWebSocket(connection, long.MaxValue);
            socket.StartKeepAlive(_options.KeepAliveInterval, _options.KeepAliveTimeout, _time);
            var plain = new PlainWebSocketConnection(_hub, _refusals, auth.Grant!, socket, _options, _logger, _time, socket.Abort)
            {
                SendTimeout = _options.SendTimeout ?? _hub.Options.SendTimeout,
                MaxQueuedBytes = _options.MaxQueuedBytes ?? _hub.Options.MaxQueuedBytes,
            };
            if (_drain.IsDraining)
            {
                plain.Close(DisconnectCode.Shutdown, "the server is shutting down");
            }
            await plain.RunAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            limiter?.Release(remote);
        }
    }

    /// <summary>The token as <see cref="ChannelRequestAuth.ReadToken"/> reads it: the header, the query, then the cookie.</summary>
    private static string? Token(WebSocketHandshakeRequest request)
    {
        var header = request.Header("Authorization") ?? "";
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.Query.ToString());
        if (query.TryGetValue(ChannelRequestAuth.QueryParameter, out var token) && token.ToString().Length > 0)
        {
            return token.ToString();
        }
        foreach (var pair in (request.Header("Cookie") ?? "").Split(';', StringSplitOptions.TrimEntries))
        {
            if (pair.StartsWith(ChannelRequestAuth.CookieName + "=", StringComparison.Ordinal) && pair.Length > ChannelRequestAuth.CookieName.Length + 1)
            {
                return Uri.UnescapeDataString(pair[(ChannelRequestAuth.CookieName.Length + 1)..]);
            }
        }
        return null;
    }

    private Task RefuseDirectAsync(System.IO.Pipelines.PipeWriter output, WebSocketHandshakeRequest request, int status, string code, string message, string? headers = null)
    {
        if (Services?.GetService<Switchboard.Logging.LogThrottle>() is not { } throttle || throttle.ShouldLog(_logger, $"plain websocket refused {status} {code}"))
        {
            PlainWebSocketLog.Refused(_logger, request.Path.ToString(), status, code, message);
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(new { error = new { code, message } });
        return DirectResponse.WriteAsync(output, status, "application/json", body, headers);
    }
}
