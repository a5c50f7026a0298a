using Switchboard.Protocols.SocketIO;

namespace Switchboard.Client;

/// <summary>
/// One encoded Socket.IO packet as it goes on the wire: an Engine.IO message (<c>4</c> + the Socket.IO
/// packet) and the binary attachments that follow it, each its own binary message. Encoded by
/// <see cref="SocketPacketEncoder"/>, the codec the server uses too.
/// </summary>
internal sealed record OutgoingPacket(byte[] Text, ReadOnlyMemory<byte>[] Attachments)
{
    public static OutgoingPacket Event(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId) =>
        new(SocketPacketEncoder.Encode(SocketPacketType.Event, nsp, eventName, args, ackId, out var attachments), attachments);

    public static OutgoingPacket Ack(string nsp, long ackId, ReadOnlySpan<object?> args) =>
        new(SocketPacketEncoder.Encode(SocketPacketType.Ack, nsp, null, args, ackId, out var attachments), attachments);

    /// <summary>A packet whose data is raw JSON or nothing (CONNECT, DISCONNECT).</summary>
    public static OutgoingPacket Control(SocketPacketType type, string nsp, ReadOnlySpan<byte> json = default) =>
        new(SocketPacketEncoder.Control(type, nsp, json), []);
}
