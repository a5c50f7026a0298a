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

    /// <summary>The recovery offset this packet carries as its last argument (a publication's, with recovery on).</summary>
    internal string? Offset { get; private set; }

    /// <summary>Notes the offset this freshly encoded packet carries; returns the packet.</summary>
    internal EncodedPacket WithOffset(string offset)
    {
        Offset = offset;
        return this;
    }
}
