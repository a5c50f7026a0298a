using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.AspNetCore.Transports.Direct;

namespace Switchboard.AspNetCore;

/// <summary>The direct WebSocket mode on a Kestrel endpoint (docs/decisions/0015-own-the-connection.md).</summary>
public static class SwitchboardListenOptionsExtensions
{
    /// <summary>
    /// Answers the WebSocket handshakes of the Engine.IO / Socket.IO endpoints mapped with literal paths
    /// (<c>MapSocketIO</c>, <c>MapEngineIO</c>) on this endpoint's connections directly, before Kestrel's
    /// HTTP/1.1 layer: the connection's first request is read off its pipe, a WebSocket-only Engine.IO v4
    /// handshake is answered with <c>101</c> and the session runs over the pipe with Switchboard's own RFC 6455
    /// framing; everything else (other requests, polling, upgrades of polling sessions, anything unclear) goes on
    /// to Kestrel unchanged. Those WebSockets bypass the ASP.NET Core pipeline: middleware, authentication,
    /// CORS, path base (docs/deploy.md). Put it after <c>UseHttps</c> to serve it over TLS; otherwise TLS and
    /// HTTP/2 connections pass through to Kestrel.
    /// </summary>
    public static ListenOptions UseSwitchboardWebSockets(this ListenOptions listenOptions, Action<DirectWebSocketOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        var options = new DirectWebSocketOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxHandshakeBytes, 256);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HandshakeTimeout, TimeSpan.Zero);
        // Broadcasts build their frame once, header included, for every direct socket to write as it is.
        Switchboard.EncodedPacket.PrebuildWebSocketFrames = true;
        listenOptions.Use(next =>
        {
            var services = listenOptions.ApplicationServices;
            var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("Switchboard.Transports.Direct");
            return new DirectWebSocketMiddleware(next, options, services, logger).OnConnectionAsync;
        });
        return listenOptions;
    }
}
