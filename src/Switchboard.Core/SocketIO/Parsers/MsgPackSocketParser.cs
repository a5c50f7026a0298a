using System.Buffers;
using Switchboard.Engine;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// socket.io-msgpack-parser: each packet is one MessagePack map in one Engine.IO binary message. Incoming
/// packets are transcoded into the JSON parser's form; an outgoing packet is transcoded from its JSON
/// encoding once, on its first recipient, and the bytes kept on the <see cref="EncodedPacket"/> for the others.
/// </summary>
internal sealed class MsgPackSocketParser : SocketParser
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;

    public override string Name => "msgpack";

    internal override bool DecodesWholeMessages => true;

    internal override bool TryDecode(ReadOnlyMemory<byte> message, bool isBinary, out SocketPacket packet, out ReadOnlyMemory<byte>[] attachments, out string? error)
    {
        if (!isBinary)
        {
            packet = default;
            attachments = [];
            error = "a text message (the msgpack parser sends binary messages only)";
            return false;
        }
        return MsgPackPacketReader.TryRead(message, out packet, out attachments, out error);
    }

    internal override OutboundFrame Frame(EncodedPacket packet)
    {
        // Two threads may both encode a packet first: the same bytes, and either copy serves.
        var bytes = packet.MsgPackMessage ??= Encode(packet);
        return OutboundFrame.Binary(bytes);
    }

    internal override OutboundFrame Control(SocketPacketType type, string nsp, ReadOnlySpan<byte> json = default)
    {
        var buffer = Buffer();
        MsgPackPacketWriter.Write(buffer, type, nsp, SocketPacket.NoAck, json.ToArray(), []);
        return OutboundFrame.Binary(Take(buffer));
    }

    /// <summary>Transcodes a packet's JSON encoding (<c>4</c> + packet text, and attachments).</summary>
    internal static byte[] Encode(EncodedPacket packet)
    {
        var buffer = Buffer();
        MsgPackPacketWriter.WriteFromText(buffer, packet.Text.AsMemory(1), packet.Attachments);
        return Take(buffer);
    }

    private static ArrayBufferWriter<byte> Buffer()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        return buffer;
    }

    private static byte[] Take(ArrayBufferWriter<byte> buffer)
    {
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null;
        }
        return bytes;
    }
}
