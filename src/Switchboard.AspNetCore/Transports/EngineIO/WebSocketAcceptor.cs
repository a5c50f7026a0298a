using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Net.Http.Headers;
using Switchboard.Engine;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// Accepts an Engine.IO WebSocket. On HTTP/1.1 it answers the upgrade itself (RFC 6455 §4.2.2) so the
/// socket runs over a <see cref="GatheringStream"/> and a batch of frames costs the connection one
/// write; elsewhere (HTTP/2's extended CONNECT, a test server) ASP.NET Core accepts it as usual. The
/// request was already validated as a WebSocket request by the WebSockets middleware
/// (<c>HttpContext.WebSockets.IsWebSocketRequest</c>), which also enforces its allowed origins.
/// permessage-deflate is negotiated when <see cref="PerMessageDeflateOptions.Enabled"/> (docs/engine.md).
/// </summary>
internal static class WebSocketAcceptor
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>The socket, and the stream that batches its writes (null when ASP.NET Core accepted it).</summary>
    public static async Task<(WebSocket Socket, GatheringStream? Stream)> AcceptAsync(HttpContext context, PerMessageDeflateOptions compression)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var key = context.Request.Headers[HeaderNames.SecWebSocketKey].ToString();
        if (upgrade is not { IsUpgradableRequest: true } || !HttpProtocol.IsHttp11(context.Request.Protocol) || !IsValidKey(key))
        {
            var accept = new WebSocketAcceptContext
            {
                DangerousEnableCompression = compression.Enabled,
                ServerMaxWindowBits = compression.ServerMaxWindowBits,
                DisableServerContextTakeover = compression.DisableServerContextTakeover,
            };
            return (await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false), null);
        }
        var headers = context.Response.Headers;
        headers.Connection = HeaderNames.Upgrade;
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(key);
        WebSocketDeflateOptions? deflate = null;
        if (compression.Enabled
            && PerMessageDeflateNegotiation.TryNegotiate(context.Request.Headers.SecWebSocketExtensions, compression, out var negotiated, out var extension))
        {
            headers.SecWebSocketExtensions = extension;
            deflate = negotiated;
        }
        var opaque = await upgrade.UpgradeAsync().ConfigureAwait(false);
        context.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();
        var stream = new GatheringStream(opaque);
        // No WebSocket keep-alive: Engine.IO has its own heartbeat (the same as AddSwitchboard's UseWebSockets).
        var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = TimeSpan.Zero,
            DangerousDeflateOptions = deflate,
        });
        return (socket, stream);
    }

    /// <summary>The key must be 16 bytes in base64 (RFC 6455 §4.2.1).</summary>
    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }

    /// <summary>Base64 of the SHA-1 of the key and the protocol's GUID.</summary>
    internal static string AcceptKey(string key)
    {
        Span<byte> input = stackalloc byte[24 + AcceptGuid.Length];
        Encoding.ASCII.GetBytes(key, input);
        Encoding.ASCII.GetBytes(AcceptGuid, input[24..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input, hash);
        return Convert.ToBase64String(hash);
    }
}
