using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols;
using Switchboard.Protocols.Plain;
using Switchboard.Channels;
using Switchboard.Logging;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.Transports.PlainWebSocket;

/// <summary>
/// The HTTP side of the plain WebSocket protocol: refuses what is not a WebSocket for this protocol, or
/// not authorized, with a JSON error before the upgrade; accepts the rest and runs a
/// <see cref="PlainWebSocketConnection"/> on a namespace's channels.
/// </summary>
internal sealed partial class PlainWebSocketEndpoint : IDisposable
{
    private readonly ChannelHub _hub;
    private readonly LogThrottle _refusals;
    private readonly PlainWebSocketOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Drain.ConnectionDrain _drain;

    public PlainWebSocketEndpoint(ChannelHub hub, LogThrottle refusals, PlainWebSocketOptions options, ILogger logger, TimeProvider time, Drain.ConnectionDrain drain)
    {
        _drain = drain;
        _hub = hub;
        _refusals = refusals;
        _options = options;
        _logger = logger;
        _time = time;
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.Headers.Upgrade = "websocket";
            await RefuseAsync(context, StatusCodes.Status426UpgradeRequired, "websocket_required",
                "this endpoint speaks the plain WebSocket protocol: open a WebSocket to it").ConfigureAwait(false);
            return;
        }
        string? subProtocol = null;
        var offered = context.WebSockets.WebSocketRequestedProtocols;
        if (offered.Count > 0)
        {
            if (!offered.Contains(PlainProtocol.SubProtocol))
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, "unsupported_protocol",
                    $"this endpoint speaks the subprotocol {PlainProtocol.SubProtocol} (or none), not {string.Join(", ", offered)}").ConfigureAwait(false);
                return;
            }
            subProtocol = PlainProtocol.SubProtocol;
        }
        var auth = await ChannelRequestAuth.AuthorizeAsync(context).ConfigureAwait(false);
        if (!auth.Succeeded)
        {
            _hub.Metrics.HandshakeRefused("websocket", "websocket", "unauthorized");
            if (ChannelEndpointLog.Refusals(context).ShouldLog(_logger, $"plain websocket refused 401 {ChannelRequestAuth.FailureCode(auth)}"))
            {
                PlainWebSocketLog.Refused(_logger, context.Request.Path, StatusCodes.Status401Unauthorized, ChannelRequestAuth.FailureCode(auth), auth.Message ?? "");
            }
            await ChannelRequestAuth.WriteAuthFailureAsync(context, auth).ConfigureAwait(false);
            return;
        }
        if (_drain.IsDraining)
        {
            // Open connections are closed by the drain; a new one goes to another node (docs/drain.md).
            context.Response.Headers.RetryAfter = _drain.RetryAfter;
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "shutting_down", "the server is shutting down").ConfigureAwait(false);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subProtocol,
            KeepAliveInterval = _options.KeepAliveInterval,
            KeepAliveTimeout = _options.KeepAliveInterval > TimeSpan.Zero ? _options.KeepAliveTimeout : null,
            DangerousEnableCompression = _options.PerMessageDeflate.Enabled,
            ServerMaxWindowBits = _options.PerMessageDeflate.ServerMaxWindowBits,
            DisableServerContextTakeover = _options.PerMessageDeflate.DisableServerContextTakeover,
        }).ConfigureAwait(false);
        var connection = new PlainWebSocketConnection(_hub, _refusals, auth.Grant!, socket, _options, _logger, _time, context.Abort)
        {
            SendTimeout = _options.SendTimeout ?? _hub.Options.SendTimeout,
            MaxQueuedBytes = _options.MaxQueuedBytes ?? _hub.Options.MaxQueuedBytes,
        };
        if (_drain.IsDraining)
        {
            // Accepted as the drain began, possibly after its last look: closed like the others.
            connection.Close(DisconnectCode.Shutdown, "the server is shutting down");
        }
        await connection.RunAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public void Dispose()
    {
    }

    private Task RefuseAsync(HttpContext context, int status, string code, string message)
    {
        if (ChannelEndpointLog.Refusals(context).ShouldLog(_logger, $"plain websocket refused {status} {code}"))
        {
            PlainWebSocketLog.Refused(_logger, context.Request.Path, status, code, message);
        }
        return ChannelRequestAuth.WriteErrorAsync(context, status, code, message);
    }
}
