using System.Buffers;
using System.Buffers.Text;

namespace Switchboard.Protocols.EngineIO;

/// <summary>
/// Engine.IO v4 wire codec (https://socket.io/docs/v4/engine-io-protocol/): text packets are a type
/// digit followed by UTF-8 data; an HTTP long-polling payload joins packets with the record separator
/// 0x1E and writes binary packets as <c>b</c> followed by standard base64.
/// </summary>
public static class EngineCodec
{
    /// <summary>The byte between two packets of a polling payload (0x1E, the record separator).</summary>
    public const byte RecordSeparator = 0x1E;
    /// <summary>The prefix of a base64-encoded binary packet in a text payload (<c>b</c>).</summary>
    public const byte BinaryMarker = (byte)'b';

    /// <summary>Parses one text packet (a WebSocket text frame, or one record of a polling payload).</summary>
    public static bool TryParseText(ReadOnlyMemory<byte> text, out EnginePacket packet)
    {
        packet = default;
        if (text.IsEmpty)
        {
            return false;
        }
        var digit = text.Span[0] - (byte)'0';
        if (digit is < 0 or > (int)EnginePacketType.Noop)
        {
            return false;
        }
        packet = new EnginePacket((EnginePacketType)digit, text[1..]);
        return true;
    }

    /// <summary>
    /// Parses one text packet out of a buffer that will be reused: the packet gets its own copy of the
    /// data, and a packet without data (a ping, a pong) takes nothing from the heap.
    /// </summary>
    public static bool TryParseTextCopy(ReadOnlySpan<byte> text, out EnginePacket packet)
    {
        packet = default;
        if (text.IsEmpty)
        {
            return false;
        }
        var digit = text[0] - (byte)'0';
        if (digit is < 0 or > (int)EnginePacketType.Noop)
        {
            return false;
        }
        packet = new EnginePacket((EnginePacketType)digit, text.Length == 1 ? ReadOnlyMemory<byte>.Empty : text[1..].ToArray());
        return true;
    }

    /// <summary>Writes a text packet: the type digit, then the data.</summary>
    public static void WriteText(IBufferWriter<byte> output, EnginePacketType type, ReadOnlySpan<byte> data)
    {
        var span = output.GetSpan(data.Length + 1);
        span[0] = (byte)('0' + (int)type);
        data.CopyTo(span[1..]);
        output.Advance(data.Length + 1);
    }

    /// <summary>Returns a new array holding a complete text packet.</summary>
    public static byte[] EncodeText(EnginePacketType type, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[data.Length + 1];
        bytes[0] = (byte)('0' + (int)type);
        data.CopyTo(bytes.AsSpan(1));
        return bytes;
    }

    /// <summary>
    /// Splits an HTTP long-polling payload into packets. Binary records are decoded from base64 into
    /// new arrays; text records are slices of <paramref name="payload"/>. Returns false on any
    /// malformed record, in which case the whole payload must be rejected.
    /// </summary>
    public static bool TryParsePayload(ReadOnlyMemory<byte> payload, List<EnginePacket> packets)
    {
        if (payload.IsEmpty)
        {
            return false;
        }
        var rest = payload;
        while (true)
        {
            var end = rest.Span.IndexOf(RecordSeparator);
            var record = end < 0 ? rest : rest[..end];
            if (!TryParseRecord(record, out var packet))
            {
                return false;
            }
            packets.Add(packet);
            if (end < 0)
            {
                return true;
            }
            rest = rest[(end + 1)..];
        }
    }

    private static bool TryParseRecord(ReadOnlyMemory<byte> record, out EnginePacket packet)
    {
        if (!record.IsEmpty && record.Span[0] == BinaryMarker)
        {
            var base64 = record.Span[1..];
            var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
            if (Base64.DecodeFromUtf8(base64, decoded, out _, out var written) != OperationStatus.Done)
            {
                packet = default;
                return false;
            }
            packet = EnginePacket.Binary(decoded.AsMemory(0, written));
            return true;
        }
        return TryParseText(record, out packet);
    }

    /// <summary>
    /// Writes one packet as a record of a polling payload, preceded by a separator unless it is the first.
    /// Text packets in <paramref name="encoded"/> already hold their type digit.
    /// </summary>
    public static void WritePayloadRecord(IBufferWriter<byte> output, ReadOnlySpan<byte> encoded, bool isBinary, bool first)
    {
        if (!first)
        {
            output.GetSpan(1)[0] = RecordSeparator;
            output.Advance(1);
        }
        if (!isBinary)
        {
            output.Write(encoded);
            return;
        }
        var length = Base64.GetMaxEncodedToUtf8Length(encoded.Length) + 1;
        var span = output.GetSpan(length);
        span[0] = BinaryMarker;
        Base64.EncodeToUtf8(encoded, span[1..], out _, out var written);
        output.Advance(written + 1);
    }
}
