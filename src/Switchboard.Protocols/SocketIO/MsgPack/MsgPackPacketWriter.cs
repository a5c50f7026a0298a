using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Writes a Socket.IO packet in socket.io-msgpack-parser's format (docs/parsers.md): one MessagePack map
/// <c>{type, data?, nsp, id?}</c> for one Engine.IO binary message. The data comes in the JSON parser's
/// form (JSON whose placeholders name the attachments), so a packet encoded once as JSON can be
/// transcoded once for every msgpack recipient.
/// </summary>
public static class MsgPackPacketWriter
{
    /// <summary>
    /// Writes a packet. Binary types become their plain ones (the msgpack format carries binary inline);
    /// empty <paramref name="json"/> leaves <c>data</c> out (CONNECT without auth, DISCONNECT).
    /// </summary>
    public static void Write(IBufferWriter<byte> output, SocketPacketType type, string nsp, long ackId, ReadOnlyMemory<byte> json, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        type = type switch
        {
            SocketPacketType.BinaryEvent => SocketPacketType.Event,
            SocketPacketType.BinaryAck => SocketPacketType.Ack,
            _ => type,
        };
        var writer = new MessagePackWriter(output);
        writer.WriteMapHeader(2 + (json.IsEmpty ? 0 : 1) + (ackId >= 0 ? 1 : 0));
        writer.WriteString("type"u8);
        writer.Write((int)type);
        if (!json.IsEmpty)
        {
            writer.WriteString("data"u8);
            using var document = JsonDocument.Parse(json, JsonLimits.DocumentOptions);
            MsgPackJson.WriteValue(ref writer, document.RootElement, attachments);
        }
        writer.WriteString("nsp"u8);
        writer.Write(nsp);
        if (ackId >= 0)
        {
            writer.WriteString("id"u8);
            writer.Write(ackId);
        }
        writer.Flush();
    }

    /// <summary>
    /// Transcodes a packet in the JSON parser's text form (<c>&lt;type&gt;[&lt;n&gt;-][&lt;nsp&gt;,][&lt;id&gt;]&lt;JSON&gt;</c>,
    /// without the Engine.IO type digit) and its attachments. The text is the server's own, so its
    /// header is read without the checks a client's packet gets; its JSON must be valid.
    /// </summary>
    public static void WriteFromText(IBufferWriter<byte> output, ReadOnlyMemory<byte> text, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var span = text.Span;
        if (span.IsEmpty || span[0] is < (byte)'0' or > (byte)'6')
        {
            throw new ArgumentException("Not a Socket.IO packet.", nameof(text));
        }
        var type = (SocketPacketType)(span[0] - '0');
        var i = 1;
        if (type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck)
        {
            i += span[i..].IndexOf((byte)'-') + 1;
        }
        var nsp = "/";
        if (i < span.Length && span[i] == (byte)'/')
        {
            var comma = span[i..].IndexOf((byte)',');
            var end = comma < 0 ? span.Length : i + comma;
            nsp = Encoding.UTF8.GetString(span[i..end]);
            i = comma < 0 ? span.Length : end + 1;
        }
        var ackId = SocketPacket.NoAck;
        if (i < span.Length && span[i] is >= (byte)'0' and <= (byte)'9')
        {
            ackId = 0;
            while (i < span.Length && span[i] is >= (byte)'0' and <= (byte)'9')
            {
                ackId = ackId * 10 + (span[i++] - '0');
            }
        }
        Write(output, type, nsp, ackId, text[i..], attachments);
    }
}
