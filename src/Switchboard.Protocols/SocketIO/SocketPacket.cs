namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// A decoded Socket.IO packet header with its JSON data left as raw UTF-8 bytes. Binary packets
/// announce <see cref="AttachmentCount"/> binary Engine.IO messages that follow this one.
/// </summary>
public readonly record struct SocketPacket(
    SocketPacketType Type,
    string Namespace,
    long AckId,
    int AttachmentCount,
    ReadOnlyMemory<byte> Data)
{
    /// <summary>The <see cref="AckId"/> of a packet that asks for no acknowledgement.</summary>
    public const long NoAck = -1;

    /// <summary>Whether the packet carries an ack id.</summary>
    public bool HasAck => AckId >= 0;

    /// <summary>Whether the packet is followed by binary attachments.</summary>
    public bool IsBinary => Type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck;
}
