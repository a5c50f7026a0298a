using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.AspNetCore.Shared;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>How an Engine.IO WebSocket frames binary messages.</summary>
internal enum WebSocketFraming : byte
{
    /// <summary>Engine.IO v4: a binary message is the bytes, as they are.</summary>
    V4,

    /// <summary>Engine.IO v3: a binary message is the type byte (4), then the bytes.</summary>
    V3Binary,

    /// <summary>Engine.IO v3 for a client that asked for <c>b64</c>: a text message <c>b4</c> and base64.</summary>
    V3Base64,
}

/// <summary>The WebSocket transport for Engine.IO v3 clients (docs/engine-io-v3.md): only binary messages differ.</summary>
internal sealed partial class WebSocketTransport
{
    /// <summary>A v3 client's framing comes from its WebSocket request's own <c>b64</c>, as engine.io reads it per transport.</summary>
    private static WebSocketFraming FramingOf(EngineSession session, HttpContext context) =>
        session.Protocol != 3 ? WebSocketFraming.V4
        : StringValues.IsNullOrEmpty(context.Request.Query["b64"]) ? WebSocketFraming.V3Binary
        : WebSocketFraming.V3Base64;

    private static ValueTask SendFrameAsync(WebSocket socket, IWriteBatching? stream, OutboundFrame frame, bool last, int compressThreshold, WebSocketFraming framing) =>
        framing == WebSocketFraming.V4
            ? SendFrameAsync(socket, stream, frame, last, compressThreshold)
            : SendFrameV3Async(socket, stream, frame, last, framing == WebSocketFraming.V3Base64);

    /// <summary>
    /// Sends a frame and its attachments to a v3 client. Each binary message gets its own copy with the
    /// type byte (or in base64): shared broadcast bytes are never modified, at the cost of one array per
    /// binary message for these clients only.
    /// </summary>
    private static async ValueTask SendFrameV3Async(WebSocket socket, IWriteBatching? stream, OutboundFrame frame, bool last, bool base64)
    {
        var attachments = frame.Attachments ?? [];
        for (var i = 0; i <= attachments.Length; i++)
        {
            var (data, isBinary) = i == 0 ? (frame.Data, frame.IsBinary) : (attachments[i - 1], true);
            if (last && i == attachments.Length)
            {
                stream?.ReleaseWithNextWrite();
            }
            if (!isBinary)
            {
                await socket.SendAsync(data, WebSocketMessageType.Text, true, CancellationToken.None);
            }
            else if (base64)
            {
                await socket.SendAsync(EngineCodecV3.EncodeBase64Message(data.Span), WebSocketMessageType.Text, true, CancellationToken.None);
            }
            else
            {
                await socket.SendAsync(EngineCodecV3.EncodeBinaryMessage(data.Span), WebSocketMessageType.Binary, true, CancellationToken.None);
            }
        }
    }

    /// <summary>A v3 client's message: binary ones carry their type byte, and text may be a base64 binary message (<c>b4...</c>).</summary>
    private bool ReceiveV3(EngineSession session, in WebSocketRead message)
    {
        EnginePacket packet;
        var parsed = message.Type == WebSocketMessageType.Binary
            ? EngineCodecV3.TryParseBinaryMessage(message.Data.Span, out packet)
            : TryParseV3Text(message.Data.Span, out packet);
        if (!parsed)
        {
            if (server.Refusals.ShouldLog(logger, "engine.io invalid websocket packet"))
            {
                LogInvalidPacket(logger, session.Id);
            }
            session.Close(DisconnectCode.BadRequest);
            return false;
        }
        session.Receive(packet);
        return true;
    }

    /// <summary>The reader's buffer is reused: a text packet gets its own copy, as in <see cref="EngineCodec.TryParseTextCopy"/>.</summary>
    private static bool TryParseV3Text(ReadOnlySpan<byte> text, out EnginePacket packet) =>
        !text.IsEmpty && text[0] == EngineCodecV3.BinaryMarker
            ? EngineCodecV3.TryParseText(text.ToArray(), out packet)
            : EngineCodec.TryParseTextCopy(text, out packet);
}
