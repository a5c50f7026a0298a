using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MessagePack;

namespace Switchboard.Protocols.SocketIO;

public static partial class MsgPackJson
{
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
