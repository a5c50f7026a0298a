using System.Buffers;
using System.Text;

namespace Switchboard.Protocols.ServerSentEvents;

/// <summary>
/// W3C Server-Sent Events framing (docs/protocols/sse.md): events with <c>event</c>, <c>id</c> and
/// <c>data</c> fields, <c>retry</c>, and comments. Data is split at every line break it contains (CRLF,
/// CR or LF, all of which end a line in SSE), each piece in its own <c>data:</c> line, so a payload can
/// never start a field or end the event; the client joins them back with LF. A pure codec: it only
/// writes bytes.
/// </summary>
public static class ServerSentEventsFormat
{
    private static ReadOnlySpan<byte> EventField => "event: "u8;
    private static ReadOnlySpan<byte> IdField => "id: "u8;
    private static ReadOnlySpan<byte> DataField => "data: "u8;
    private static ReadOnlySpan<byte> RetryField => "retry: "u8;

    /// <summary>
    /// Writes one event. <paramref name="eventName"/> (null or empty: no field, a <c>message</c> event) and
    /// <paramref name="id"/> (null: no field) must be single lines.
    /// </summary>
    public static void WriteEvent(IBufferWriter<byte> output, string? eventName, string? id, ReadOnlySpan<byte> data)
    {
        if (!string.IsNullOrEmpty(eventName))
        {
            WriteField(output, EventField, eventName, nameof(eventName));
        }
        if (id is not null)
        {
            WriteField(output, IdField, id, nameof(id));
        }
        while (true)
        {
            var end = data.IndexOfAny((byte)'\r', (byte)'\n');
            output.Write(DataField);
            if (end < 0)
            {
                output.Write(data);
                break;
            }
            output.Write(data[..end]);
            output.Write("\n"u8);
            var terminator = data[end] == '\r' && end + 1 < data.Length && data[end + 1] == '\n' ? 2 : 1;
            data = data[(end + terminator)..];
        }
        output.Write("\n\n"u8);
    }

    /// <summary>
    /// Writes an event encoded once (by <see cref="WriteEvent(IBufferWriter{byte}, string?, string?, ReadOnlySpan{byte})"/>
    /// with no id) for many streams, with this stream's <paramref name="id"/>: the same bytes as encoding it
    /// with the id. <paramref name="id"/> must be a single line of UTF-8.
    /// </summary>
    public static void WriteEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> encodedWithoutId, ReadOnlySpan<byte> id)
    {
        if (id.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
        {
            throw new ArgumentException("An SSE field value must not contain CR, LF or NUL.", nameof(id));
        }
        // The id goes after the event field, which is a single line, as WriteEvent puts it. One span:
        // this is written once per event per stream.
        var head = encodedWithoutId.StartsWith(EventField) ? encodedWithoutId.IndexOf((byte)'\n') + 1 : 0;
        var length = encodedWithoutId.Length + IdField.Length + id.Length + 1;
        var span = output.GetSpan(length);
        encodedWithoutId[..head].CopyTo(span);
        IdField.CopyTo(span[head..]);
        id.CopyTo(span[(head + IdField.Length)..]);
        span[head + IdField.Length + id.Length] = (byte)'\n';
        encodedWithoutId[head..].CopyTo(span[(head + IdField.Length + id.Length + 1)..]);
        output.Advance(length);
    }

    /// <summary>Writes a comment line (<c>: text</c>), which clients ignore: the heartbeat.</summary>
    public static void WriteComment(IBufferWriter<byte> output, string text)
    {
        RequireSingleLine(text, nameof(text));
        output.Write(": "u8);
        WriteUtf8(output, text);
        output.Write("\n\n"u8);
    }

    /// <summary>Writes the reconnection delay the client should use.</summary>
    public static void WriteRetry(IBufferWriter<byte> output, TimeSpan delay)
    {
        output.Write(RetryField);
        WriteUtf8(output, ((long)delay.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        output.Write("\n\n"u8);
    }

    /// <summary>True when a value can be an <c>event</c> or <c>id</c> field: no CR, LF or NUL.</summary>
    public static bool IsSingleLine(ReadOnlySpan<char> value) => value.IndexOfAny('\r', '\n', '\0') < 0;

    private static void WriteField(IBufferWriter<byte> output, ReadOnlySpan<byte> field, string value, string name)
    {
        RequireSingleLine(value, name);
        output.Write(field);
        WriteUtf8(output, value);
        output.Write("\n"u8);
    }

    private static void RequireSingleLine(string value, string name)
    {
        if (!IsSingleLine(value))
        {
            throw new ArgumentException("An SSE field value must not contain CR, LF or NUL.", name);
        }
    }

    private static void WriteUtf8(IBufferWriter<byte> output, string value)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        output.Advance(Encoding.UTF8.GetBytes(value, span));
    }
}
