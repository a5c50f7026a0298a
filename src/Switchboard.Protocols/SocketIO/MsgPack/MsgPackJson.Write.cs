using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Switchboard.Protocols.SocketIO;

public static partial class MsgPackJson
{
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
}
