using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Switchboard.Protocols.EngineIO;

/// <summary>
/// Engine.IO v3 wire codec (the protocol of socket.io-client 2.x and engine.io-client 3.x), for servers
/// that also accept those clients (docs/engine-io-v3.md). Packets are the same type digit and data as
/// in v4; what differs is how binary data and polling payloads are framed:
/// <list type="bullet">
/// <item>A binary message carries its type first: a WebSocket binary message is the type byte
/// (<c>0x04</c>) then the bytes; in text form (a client without binary support, <c>b64=1</c>) it is
/// <c>b4</c> then standard base64.</item>
/// <item>A text polling payload is a run of <c>&lt;length&gt;:&lt;packet&gt;</c> records, the length
/// counted in UTF-16 code units, as JavaScript counts a string.</item>
/// <item>A binary polling payload (<c>application/octet-stream</c>, sent by clients that support binary
/// when a payload holds binary packets) is a run of records: <c>0</c> (text) or <c>1</c> (binary), the
/// length's decimal digits as bytes 0–9, <c>0xFF</c>, then the packet: UTF-8 text, or the type byte
/// and the bytes.</item>
/// </list>
/// Binary packets other than messages are refused (no client sends them).
/// </summary>
public static class EngineCodecV3
{
    /// <summary>The prefix of a base64-encoded binary packet in a v3 text payload (<c>b</c>, before the type digit).</summary>
    public const byte BinaryMarker = (byte)'b';
    private const byte LengthEnd = 0xFF;
    private const byte TextRecord = 0;
    private const byte BinaryRecord = 1;
    private const byte MessageType = (byte)EnginePacketType.Message;

    // A record length has at most this many digits (more than any payload this server accepts).
    private const int MaxLengthDigits = 10;

    /// <summary>
    /// Parses one text packet: a WebSocket text message, or one record of a text payload. <c>b4...</c>
    /// is a binary message in base64, decoded into a new array; other packets are slices of <paramref name="text"/>.
    /// </summary>
    public static bool TryParseText(ReadOnlyMemory<byte> text, out EnginePacket packet)
    {
        if (!text.IsEmpty && text.Span[0] == BinaryMarker)
        {
            return TryDecodeBase64Message(text.Span[1..], out packet);
        }
        return EngineCodec.TryParseText(text, out packet);
    }

    /// <summary>Parses a WebSocket binary message: the type byte (a message's, 4), then the bytes, copied.</summary>
    public static bool TryParseBinaryMessage(ReadOnlySpan<byte> message, out EnginePacket packet)
    {
        packet = default;
        if (message.IsEmpty || message[0] != MessageType)
        {
            return false;
        }
        packet = EnginePacket.Binary(message[1..].ToArray());
        return true;
    }

    /// <summary>
    /// Splits a text polling payload (<c>&lt;length&gt;:&lt;packet&gt;...</c>) into packets. Returns false on
    /// any malformed record (the whole payload is then rejected, as engine.io does).
    /// </summary>
    public static bool TryParseTextPayload(ReadOnlyMemory<byte> payload, List<EnginePacket> packets)
    {
        if (payload.IsEmpty)
        {
            return false;
        }
        var rest = payload;
        while (!rest.IsEmpty)
        {
            var span = rest.Span;
            var colon = span.IndexOf((byte)':');
            if (colon <= 0 || colon > MaxLengthDigits || !TryParseDigits(span[..colon], out var units))
            {
                return false;
            }
            span = span[(colon + 1)..];
            if (!TryMeasureUtf16(span, units, out var bytes))
            {
                return false;
            }
            if (bytes > 0)
            {
                if (!TryParseText(rest.Slice(colon + 1, bytes), out var packet))
                {
                    return false;
                }
                packets.Add(packet);
            }
            rest = rest[(colon + 1 + bytes)..];
        }
        return true;
    }

    /// <summary>Splits a binary polling payload (<c>application/octet-stream</c>) into packets; false if malformed.</summary>
    public static bool TryParseBinaryPayload(ReadOnlyMemory<byte> payload, List<EnginePacket> packets)
    {
        if (payload.IsEmpty)
        {
            return false;
        }
        var rest = payload;
        while (!rest.IsEmpty)
        {
            var span = rest.Span;
            var kind = span[0];
            var end = span.IndexOf(LengthEnd);
            if (kind is not (TextRecord or BinaryRecord) || end < 2 || end > MaxLengthDigits + 1)
            {
                return false;
            }
            var length = 0L;
            foreach (var digit in span[1..end])
            {
                if (digit > 9)
                {
                    return false;
                }
                length = length * 10 + digit;
            }
            if (length > span.Length - end - 1)
            {
                return false;
            }
            var record = rest.Slice(end + 1, (int)length);
            EnginePacket packet;
            if (kind == TextRecord ? !TryParseText(record, out packet) : !TryParseBinaryMessage(record.Span, out packet))
            {
                return false;
            }
            packets.Add(packet);
            rest = rest[(end + 1 + (int)length)..];
        }
        return true;
    }

    /// <summary>Writes one record of a text payload: an encoded text packet, or a binary message as <c>b4</c> and base64.</summary>
    public static void WriteTextRecord(IBufferWriter<byte> output, ReadOnlySpan<byte> encoded, bool isBinary)
    {
        if (isBinary)
        {
            var base64 = Base64.GetMaxEncodedToUtf8Length(encoded.Length);
            WriteLength(output, base64 + 2);
            output.Write(":b4"u8);
            var span = output.GetSpan(base64);
            Base64.EncodeToUtf8(encoded, span, out _, out var written);
            output.Advance(written);
            return;
        }
        WriteLength(output, Encoding.UTF8.GetCharCount(encoded));
        output.Write(":"u8);
        output.Write(encoded);
    }

    /// <summary>Writes one record of a binary payload: an encoded text packet, or a binary message (its type byte, then the bytes).</summary>
    public static void WriteBinaryRecord(IBufferWriter<byte> output, ReadOnlySpan<byte> encoded, bool isBinary)
    {
        var length = encoded.Length + (isBinary ? 1 : 0);
        Span<byte> digits = stackalloc byte[MaxLengthDigits];
        length.TryFormat(digits, out var count, default, System.Globalization.CultureInfo.InvariantCulture);
        var span = output.GetSpan(count + 2);
        span[0] = isBinary ? BinaryRecord : TextRecord;
        for (var i = 0; i < count; i++)
        {
            span[1 + i] = (byte)(digits[i] - '0');
        }
        span[1 + count] = LengthEnd;
        output.Advance(count + 2);
        if (isBinary)
        {
            output.GetSpan(1)[0] = MessageType;
            output.Advance(1);
        }
        output.Write(encoded);
    }

    /// <summary>A binary message as a WebSocket binary message: the type byte, then the bytes.</summary>
    public static byte[] EncodeBinaryMessage(ReadOnlySpan<byte> data)
    {
        var bytes = new byte[data.Length + 1];
        bytes[0] = MessageType;
        data.CopyTo(bytes.AsSpan(1));
        return bytes;
    }

    /// <summary>A binary message in text form (<c>b4</c> and base64), for a client without binary support.</summary>
    public static byte[] EncodeBase64Message(ReadOnlySpan<byte> data)
    {
        var bytes = new byte[Base64.GetMaxEncodedToUtf8Length(data.Length) + 2];
        bytes[0] = BinaryMarker;
        bytes[1] = (byte)'0' + MessageType;
        Base64.EncodeToUtf8(data, bytes.AsSpan(2), out _, out var written);
        return written + 2 == bytes.Length ? bytes : bytes[..(written + 2)];
    }

    private static bool TryDecodeBase64Message(ReadOnlySpan<byte> typeAndBase64, out EnginePacket packet)
    {
        packet = default;
        if (typeAndBase64.IsEmpty || typeAndBase64[0] != (byte)'0' + MessageType)
        {
            return false;
        }
        var base64 = typeAndBase64[1..];
        var decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
        if (Base64.DecodeFromUtf8(base64, decoded, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }
        packet = EnginePacket.Binary(decoded.AsMemory(0, written));
        return true;
    }

    private static bool TryParseDigits(ReadOnlySpan<byte> digits, out int value)
    {
        long result = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                value = 0;
                return false;
            }
            result = result * 10 + (b - '0');
        }
        value = result > int.MaxValue ? 0 : (int)result;
        return result <= int.MaxValue;
    }

    /// <summary>
    /// How many bytes of <paramref name="utf8"/> hold exactly <paramref name="units"/> UTF-16 code units
    /// (a character outside the Basic Multilingual Plane counts two). False when the text is shorter, is
    /// not valid UTF-8, or the count ends inside a surrogate pair.
    /// </summary>
    private static bool TryMeasureUtf16(ReadOnlySpan<byte> utf8, int units, out int bytes)
    {
        bytes = 0;
        while (units > 0)
        {
            if (bytes >= utf8.Length)
            {
                return false;
            }
            var b = utf8[bytes];
            if (b < 0x80)
            {
                // The common case: a run of ASCII, one unit per byte.
                bytes++;
                units--;
                continue;
            }
            if (Rune.DecodeFromUtf8(utf8[bytes..], out var rune, out var consumed) != OperationStatus.Done)
            {
                return false;
            }
            var length = rune.Utf16SequenceLength;
            if (length > units)
            {
                return false;
            }
            units -= length;
            bytes += consumed;
        }
        return true;
    }

    private static void WriteLength(IBufferWriter<byte> output, int length)
    {
        var span = output.GetSpan(MaxLengthDigits);
        length.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        output.Advance(written);
    }
}
