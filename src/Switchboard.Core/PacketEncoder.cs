using Switchboard.Protocols.SocketIO;

namespace Switchboard;

/// <summary>
/// Encodes outgoing Socket.IO packets into their final Engine.IO bytes, once per packet, as an
/// <see cref="EncodedPacket"/>; the codec itself is <see cref="SocketPacketEncoder"/> (shared with the
/// client). A <see cref="SocketArguments"/> argument is spliced in raw, so received arguments
/// round-trip byte for byte.
/// </summary>
public static class PacketEncoder
{
    /// <summary>Encodes an EVENT (or BINARY_EVENT) packet once, asking for an acknowledgement when <paramref name="ackId"/> is set.</summary>
    public static EncodedPacket Event(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId = SocketPacket.NoAck)
    {
        var text = SocketPacketEncoder.Encode(SocketPacketType.Event, nsp, eventName, args, ackId, out var attachments);
        return new EncodedPacket(text, attachments, eventName, args.ToArray());
    }

    /// <summary>Encodes an ACK (or BINARY_ACK) packet.</summary>
    public static EncodedPacket Ack(string nsp, long ackId, ReadOnlySpan<object?> args) =>
        new(SocketPacketEncoder.Encode(SocketPacketType.Ack, nsp, null, args, ackId, out var attachments), attachments);

    /// <summary>Encodes a packet whose data is given as raw JSON (CONNECT, CONNECT_ERROR, DISCONNECT).</summary>
    public static byte[] Control(SocketPacketType type, string nsp, ReadOnlySpan<byte> json = default) =>
        SocketPacketEncoder.Control(type, nsp, json);
}
