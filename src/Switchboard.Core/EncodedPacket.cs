using Switchboard.Protocols.WebSockets;

namespace Switchboard;

/// <summary>
/// A Socket.IO packet encoded once for every recipient: the Engine.IO message (<c>4</c> + packet) and
/// the binary attachments that follow it. Never modified after it is built (another parser's encoding is
/// only cached on it).
/// </summary>
public sealed class EncodedPacket(byte[] text, ReadOnlyMemory<byte>[] attachments, string? eventName = null, object?[]? arguments = null)
{
    /// <summary>The Engine.IO message: <c>4</c> followed by the Socket.IO packet.</summary>
    public byte[] Text { get; } = text;

    /// <summary>The binary attachments sent after <see cref="Text"/>, in order.</summary>
    public ReadOnlyMemory<byte>[] Attachments { get; } = attachments;

    /// <summary>For outgoing catch-all listeners: the event name and arguments this packet was made from.</summary>
    public string? EventName { get; } = eventName;

    /// <summary>For outgoing catch-all listeners: the arguments, as they were given.</summary>
    public object?[]? Arguments { get; } = arguments;

    /// <summary>
    /// The packet in socket.io-msgpack-parser's format, transcoded from <see cref="Text"/> for the first
    /// recipient that needs it and kept for the others (<see cref="SocketIO.MsgPackSocketParser"/>).
    /// </summary>
    internal byte[]? MsgPackMessage { get; set; }

    /// <summary>
    /// Whether broadcasts build their WebSocket frame once (<see cref="PrebuildWebSocketFrame"/>): set when a host
    /// runs the direct WebSocket mode, whose sockets write such a frame as it is (docs/decisions/0015-own-the-connection.md).
    /// </summary>
    internal static volatile bool PrebuildWebSocketFrames;

    private byte[]? _framed;

    /// <summary>
    /// The Engine.IO message as transports send it: <see cref="Text"/>'s bytes, which after
    /// <see cref="PrebuildWebSocketFrame"/> sit in an array right behind their RFC 6455 frame header.
    /// </summary>
    internal ReadOnlyMemory<byte> Message => _framed is { } framed ? framed.AsMemory(framed.Length - Text.Length) : Text;

    /// <summary>
    /// Builds the text frame of <see cref="Text"/>, header included, once for every recipient of a broadcast
    /// (with <see cref="PrebuildWebSocketFrames"/> on). Two threads racing here build two equal frames: harmless.
    /// </summary>
    internal void PrebuildWebSocketFrame()
    {
        if (!PrebuildWebSocketFrames || _framed is not null)
        {
            return;
        }
        var size = WebSocketFrameHeader.SizeOf(Text.Length);
        var framed = new byte[size + Text.Length];
        WebSocketFrameHeader.Write(framed, WebSocketOpcode.Text, Text.Length);
        Text.CopyTo(framed, size);
        _framed = framed;
    }

    /// <summary>The recovery offset this packet carries as its last argument (a publication's, with recovery on).</summary>
    internal string? Offset { get; private set; }

    /// <summary>Notes the offset this freshly encoded packet carries; returns the packet.</summary>
    internal EncodedPacket WithOffset(string offset)
    {
        Offset = offset;
        return this;
    }
}
