using System.Buffers;
using System.Text.Json;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// An emit's arguments as one JSON array (<c>[arg1, arg2]</c>): the form a publication keeps for the JSON
/// protocols and stores, and splices into its Socket.IO packet (docs/decisions/0011). Values are written as
/// <see cref="SocketPacketEncoder.WriteValue"/> writes them in a packet; binary made by the server is base64
/// unless an attachment scope is active; forwarded arguments keep their bytes, and their binary
/// placeholders become the attachments in base64 (JSON has no bytes).
/// </summary>
internal static class ArgumentsJson
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    [ThreadStatic] private static bool t_busy;

    /// <summary>The arguments as a new JSON array.</summary>
    public static byte[] Encode(ReadOnlySpan<object?> args)
    {
        if (t_busy)
        {
            // A value's converter encoding arguments of its own: not with the buffer in use.
            var own = new ArrayBufferWriter<byte>(256);
            using (var ownWriter = new Utf8JsonWriter(own, SocketPacketEncoder.WriterOptions))
            {
                Write(ownWriter, args);
            }
            return own.WrittenSpan.ToArray();
        }
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, SocketPacketEncoder.WriterOptions);
        t_busy = true;
        try
        {
            Write(writer, args);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            writer.Reset(buffer);
            buffer.ResetWrittenCount();
            if (buffer.Capacity > 1 << 20)
            {
                // As SocketPacketEncoder: a thread does not keep a large publication's buffer for ever.
                t_buffer = null;
                t_writer = null;
            }
            t_busy = false;
        }
    }

    private static void Write(Utf8JsonWriter writer, ReadOnlySpan<object?> args)
    {
        writer.WriteStartArray();
        foreach (var arg in args)
        {
            switch (arg)
            {
                case IForwardedArguments { Attachments.Count: > 0 } binary:
                    for (var i = 0; i < binary.Count; i++)
                    {
                        WriteWithAttachments(writer, binary[i], binary.Attachments);
                    }
                    break;
                case IForwardedArguments raw:
                    if (!raw.Raw.IsEmpty)
                    {
                        writer.WriteRawValue(raw.Raw.Span, skipInputValidation: true);
                    }
                    break;
                default:
                    SocketPacketEncoder.WriteValue(writer, arg);
                    break;
            }
        }
        writer.WriteEndArray();
    }

    /// <summary>Writes a received value with each <c>{"_placeholder":true,"num":N}</c> replaced by attachment N in base64.</summary>
    private static void WriteWithAttachments(Utf8JsonWriter writer, JsonElement value, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when value.TryGetProperty("_placeholder", out var marker) && marker.ValueKind == JsonValueKind.True
                && value.TryGetProperty("num", out var num) && num.TryGetInt32(out var index) && index >= 0 && index < attachments.Count:
                writer.WriteBase64StringValue(attachments[index].Span);
                break;
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    WriteWithAttachments(writer, property.Value, attachments);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteWithAttachments(writer, item, attachments);
                }
                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}
