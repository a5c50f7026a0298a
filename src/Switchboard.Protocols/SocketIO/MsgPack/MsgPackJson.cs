using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MessagePack;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Converts Socket.IO values between the server's canonical form, JSON whose binary values are
/// <c>{"_placeholder":true,"num":N}</c> naming an attachment, and MessagePack as socket.io-msgpack-parser
/// (notepack.io) writes and reads it, where binary values are inline <c>bin</c>. The mapping, its
/// choices and what it does not carry are in docs/parsers.md.
/// </summary>
public static class MsgPackJson
{
    /// <summary>The most binary values one packet may carry, as for the JSON parser's attachments.</summary>
    public const int MaxAttachments = 1000;

    // notepack.io 2.x: ext type 0 in a fixext 1 is `undefined`, in a fixext 8 a Date (milliseconds), in
    // ext 8/16/32 an ArrayBuffer. Type -1 is the MessagePack timestamp (notepack.io 3.x writes Dates so).
    private const sbyte NotepackType = 0;
    private const sbyte TimestampType = -1;

    /// <summary>
    /// Writes one JSON value as MessagePack: numbers with an integral value as integers (as notepack.io
    /// writes JavaScript numbers), others as float64; a placeholder naming one of
    /// <paramref name="attachments"/> as <c>bin</c> with its bytes.
    /// </summary>
    public static void WriteValue(ref MessagePackWriter writer, JsonElement value, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                writer.WriteNil();
                break;
            case JsonValueKind.True:
                writer.Write(true);
                break;
            case JsonValueKind.False:
                writer.Write(false);
                break;
            case JsonValueKind.Number:
                WriteNumber(ref writer, value);
                break;
            case JsonValueKind.String:
                WriteString(ref writer, JsonMarshal.GetRawUtf8Value(value)[1..^1]);
                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray())
                {
                    WriteValue(ref writer, item, attachments);
                }
                break;
            case JsonValueKind.Object:
                if (TryGetPlaceholder(value, attachments.Count, out var num))
                {
                    writer.Write(attachments[num].Span);
                    break;
                }
                writer.WriteMapHeader(value.GetPropertyCount());
                foreach (var property in value.EnumerateObject())
                {
                    WriteString(ref writer, JsonMarshal.GetRawUtf8PropertyName(property));
                    WriteValue(ref writer, property.Value, attachments);
                }
                break;
        }
    }

    private static void WriteNumber(ref MessagePackWriter writer, JsonElement value)
    {
        if (value.TryGetInt64(out var integer))
        {
            writer.Write(integer);
            return;
        }
        if (value.TryGetUInt64(out var unsigned))
        {
            writer.Write(unsigned);
            return;
        }
        if (!value.TryGetDouble(out var number))
        {
            // Out of double's range ("1e400"): JavaScript reads it as an infinity.
            number = JsonMarshal.GetRawUtf8Value(value)[0] == (byte)'-' ? double.NegativeInfinity : double.PositiveInfinity;
        }
        if (IsLongInteger(number))
        {
            writer.Write((long)number);
        }
        else
        {
            writer.Write(number);
        }
    }

    /// <summary>Writes the content of a JSON string (without its quotes) as a MessagePack string.</summary>
    private static void WriteString(ref MessagePackWriter writer, ReadOnlySpan<byte> escaped)
    {
        if (escaped.IndexOf((byte)'\\') < 0)
        {
            writer.WriteString(escaped);
            return;
        }
        // Lone surrogates (which JSON can escape) become U+FFFD, as the UTF-8 encoder replaces them.
        writer.WriteString(Encoding.UTF8.GetBytes(Unescape(escaped)));
    }

    /// <summary>Unescapes JSON string content, keeping lone surrogates (System.Text.Json refuses them).</summary>
    private static string Unescape(ReadOnlySpan<byte> escaped)
    {
        var text = new StringBuilder(escaped.Length);
        var start = 0;
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != (byte)'\\')
            {
                continue;
            }
            text.Append(Encoding.UTF8.GetString(escaped[start..i]));
            var c = escaped[++i];
            switch (c)
            {
                case (byte)'u':
                    text.Append((char)ushort.Parse(escaped.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                case (byte)'b': text.Append('\b'); break;
                case (byte)'f': text.Append('\f'); break;
                case (byte)'n': text.Append('\n'); break;
                case (byte)'r': text.Append('\r'); break;
                case (byte)'t': text.Append('\t'); break;
                default: text.Append((char)c); break;
            }
            start = i + 1;
        }
        text.Append(Encoding.UTF8.GetString(escaped[start..]));
        return text.ToString();
    }

    /// <summary>Whether an object is <c>{"_placeholder":true,"num":N}</c> with N naming one of <paramref name="count"/> attachments.</summary>
    private static bool TryGetPlaceholder(JsonElement value, int count, out int num)
    {
        num = -1;
        return value.TryGetProperty("_placeholder"u8, out var flag) && flag.ValueKind == JsonValueKind.True
            && value.TryGetProperty("num"u8, out var index) && index.ValueKind == JsonValueKind.Number
            && index.TryGetInt32(out num) && num >= 0 && num < count;
    }

    /// <summary>
    /// Reads one MessagePack value as JSON. Binary values (<c>bin</c>, notepack.io's ArrayBuffer ext)
    /// become placeholders and are added to <paramref name="attachments"/> as slices of the input;
    /// <paramref name="depth"/> is the JSON nesting of the value's container, refused past
    /// <see cref="JsonLimits.MaxDepth"/>. Throws <see cref="MsgPackFormatException"/>, or the reader's
    /// own exceptions, for malformed input.
    /// </summary>
    public static void ReadValue(ref MessagePackReader reader, Utf8JsonWriter json, List<ReadOnlyMemory<byte>> attachments, int depth)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }
                break;
            case MessagePackType.Float:
                WriteDouble(json, reader.NextCode == MessagePackCode.Float32 ? reader.ReadSingle() : reader.ReadDouble());
                break;
            case MessagePackType.String:
                WriteStringValue(json, ReadStringBytes(ref reader).Span);
                break;
            case MessagePackType.Binary:
                WritePlaceholder(json, attachments, AsMemory(reader.ReadBytes()!.Value), depth + 1);
                break;
            case MessagePackType.Array:
                ReadArray(ref reader, json, attachments, depth + 1);
                break;
            case MessagePackType.Map:
                ReadMap(ref reader, json, attachments, depth + 1);
                break;
            case MessagePackType.Extension:
                ReadExtension(ref reader, json, attachments, depth);
                break;
            default:
                throw new MsgPackFormatException($"invalid MessagePack code 0x{reader.NextCode:x2}");
        }
    }

    private static void ReadArray(ref MessagePackReader reader, Utf8JsonWriter json, List<ReadOnlyMemory<byte>> attachments, int depth)
    {
        CheckDepth(depth);
        var count = reader.ReadArrayHeader();
        json.WriteStartArray();
        for (var i = 0; i < count; i++)
        {
            if (TrySkipUndefined(ref reader))
            {
                // As JSON.stringify writes an undefined array element.
                json.WriteNullValue();
                continue;
            }
            ReadValue(ref reader, json, attachments, depth);
        }
        json.WriteEndArray();
    }

    private static void ReadMap(ref MessagePackReader reader, Utf8JsonWriter json, List<ReadOnlyMemory<byte>> attachments, int depth)
    {
        CheckDepth(depth);
        var count = reader.ReadMapHeader();
        json.WriteStartObject();
        for (var i = 0; i < count; i++)
        {
            // notepack.io decodes a map into a JavaScript object, whose keys are strings: an integer key
            // becomes its decimal text. Other kinds of key are refused.
            ReadOnlyMemory<byte> key;
            string? keyText = null;
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.String:
                    key = ReadStringBytes(ref reader);
                    break;
                case MessagePackType.Integer:
                    keyText = reader.NextCode == MessagePackCode.UInt64
                        ? reader.ReadUInt64().ToString(CultureInfo.InvariantCulture)
                        : reader.ReadInt64().ToString(CultureInfo.InvariantCulture);
                    key = default;
                    break;
                default:
                    throw new MsgPackFormatException("a map key that is neither a string nor an integer");
            }
            if (TrySkipUndefined(ref reader))
            {
                // An undefined member is left out, as JSON.stringify does.
                continue;
            }
            if (keyText is not null)
            {
                json.WritePropertyName(keyText);
            }
            else if (Utf8.IsValid(key.Span))
            {
                json.WritePropertyName(key.Span);
            }
            else
            {
                json.WritePropertyName(Encoding.UTF8.GetString(key.Span));
            }
            ReadValue(ref reader, json, attachments, depth);
        }
        json.WriteEndObject();
    }

    private static void ReadExtension(ref MessagePackReader reader, Utf8JsonWriter json, List<ReadOnlyMemory<byte>> attachments, int depth)
    {
        var code = reader.NextCode;
        var header = reader.ReadExtensionFormatHeader();
        var isFixed = code is >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16;
        if (header.TypeCode == TimestampType)
        {
            WriteDate(json, reader.ReadDateTime(header));
            return;
        }
        var body = AsMemory(reader.ReadRaw(header.Length));
        if (header.TypeCode == NotepackType && !isFixed)
        {
            // An ArrayBuffer or typed array sent from a browser.
            WritePlaceholder(json, attachments, body, depth + 1);
            return;
        }
        if (header.TypeCode == NotepackType && code == MessagePackCode.FixExt1)
        {
            json.WriteNullValue();
            return;
        }
        if (header.TypeCode == NotepackType && code == MessagePackCode.FixExt8)
        {
            var milliseconds = ((long)BinaryPrimitives.ReadInt32BigEndian(body.Span) << 32) | BinaryPrimitives.ReadUInt32BigEndian(body.Span[4..]);
            if (milliseconds is < -62135596800000 or > 253402300799999)
            {
                json.WriteNullValue();
                return;
            }
            WriteDate(json, DateTimeOffset.FromUnixTimeMilliseconds(milliseconds).UtcDateTime);
            return;
        }
        // Any other extension: notepack.io gives [type, bytes].
        CheckDepth(depth + 1);
        json.WriteStartArray();
        json.WriteNumberValue(header.TypeCode);
        WritePlaceholder(json, attachments, body, depth + 2);
        json.WriteEndArray();
    }

    /// <summary>A Date as JSON.stringify writes it (<c>toISOString</c>).</summary>
    private static void WriteDate(Utf8JsonWriter json, DateTime utc) =>
        json.WriteStringValue(utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    /// <summary>
    /// Consumes notepack.io 2.x's <c>undefined</c> (fixext 1 of type 0) if it is next; true when it was.
    /// </summary>
    public static bool TrySkipUndefined(ref MessagePackReader reader)
    {
        if (reader.End || reader.NextCode != MessagePackCode.FixExt1)
        {
            return false;
        }
        var peek = reader.CreatePeekReader();
        if (peek.ReadExtensionFormatHeader().TypeCode != NotepackType)
        {
            return false;
        }
        reader.ReadExtensionFormatHeader();
        reader.ReadRaw(1);
        return true;
    }

    /// <summary>
    /// Skips one value without recursion (a claimed count costs nothing until its items are read, and
    /// every item read consumes input), so hostile nesting can neither overflow the stack nor run long.
    /// </summary>
    public static void Skip(ref MessagePackReader reader)
    {
        long remaining = 1;
        while (remaining-- > 0)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    remaining += reader.ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    remaining += 2L * reader.ReadMapHeader();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }

    private static void CheckDepth(int depth)
    {
        if (depth > JsonLimits.MaxDepth)
        {
            throw new MsgPackFormatException("nested too deeply", tooDeep: true);
        }
    }

    private static void WritePlaceholder(Utf8JsonWriter json, List<ReadOnlyMemory<byte>> attachments, ReadOnlyMemory<byte> bytes, int depth)
    {
        CheckDepth(depth);
        if (attachments.Count >= MaxAttachments)
        {
            throw new MsgPackFormatException($"more than {MaxAttachments} binary values");
        }
        json.WriteStartObject();
        json.WriteBoolean("_placeholder"u8, true);
        json.WriteNumber("num"u8, attachments.Count);
        json.WriteEndObject();
        attachments.Add(bytes);
    }

    /// <summary>
    /// An integral number that fits a long: notepack.io writes such a JavaScript number as an integer, and
    /// both directions treat it as one, so it reads back as the same JSON text.
    /// </summary>
    private static bool IsLongInteger(double number) => double.IsInteger(number) && Math.Abs(number) < 9.2e18;

    private static void WriteDouble(Utf8JsonWriter json, double value)
    {
        if (IsLongInteger(value))
        {
            // Its exact value: the shortest round-trip text of a large double (1.152921504606847E+18) is not
            // an integer, which a handler reading a long would refuse.
            json.WriteNumberValue((long)value);
        }
        else if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            // As JSON.stringify writes NaN and the infinities.
            json.WriteNullValue();
        }
    }

    private static void WriteStringValue(Utf8JsonWriter json, ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8))
        {
            json.WriteStringValue(utf8);
        }
        else
        {
            // As Node's Buffer#toString('utf8'): invalid sequences become U+FFFD.
            json.WriteStringValue(Encoding.UTF8.GetString(utf8));
        }
    }

    private static ReadOnlyMemory<byte> ReadStringBytes(ref MessagePackReader reader) =>
        reader.ReadStringSequence() is { } sequence ? AsMemory(sequence) : default;

    private static ReadOnlyMemory<byte> AsMemory(in ReadOnlySequence<byte> sequence) =>
        sequence.IsSingleSegment ? sequence.First : sequence.ToArray();
}

/// <summary>MessagePack input that is well-formed but not a Socket.IO value or packet, or nests too deeply.</summary>
public sealed class MsgPackFormatException(string message, bool tooDeep = false) : Exception(message)
{
    /// <summary>The input nests deeper than <see cref="JsonLimits.MaxDepth"/>.</summary>
    public bool TooDeep { get; } = tooDeep;
}
