using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Encodes outgoing Socket.IO packets into their final Engine.IO text message (<c>4</c> + the packet),
/// once per packet, for the server and the client alike. Arguments are serialized with
/// <see cref="SocketJson.Options"/>; <c>byte[]</c> values become binary attachments; an
/// <see cref="IForwardedArguments"/> argument is spliced in raw, so received arguments round-trip byte
/// for byte. A pure codec: no I/O.
/// </summary>
public static class SocketPacketEncoder
{
    /// <summary>How every JSON value Switchboard writes is written: the relaxed encoder of <see cref="SocketJson.Options"/>, compact.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new()
    {
        Encoder = SocketJson.Options.Encoder,
        SkipValidation = true,
    };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_body;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Encodes an EVENT (<paramref name="eventName"/> set) or ACK packet, a BINARY_ one when the
    /// arguments hold binary values; <paramref name="attachments"/> receives the packet's attachments.
    /// </summary>
    public static byte[] Encode(SocketPacketType type, string nsp, string? eventName, ReadOnlySpan<object?> args, long ackId, out ReadOnlyMemory<byte>[] attachments)
    {
        var body = t_body ??= new ArrayBufferWriter<byte>(1024);
        body.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(body, WriterOptions);
        writer.Reset(body);
        var collected = new List<ReadOnlyMemory<byte>>(0);
        using (SocketJson.AttachmentScope.ForWriting(collected))
        {
            writer.WriteStartArray();
            if (eventName is not null)
            {
                writer.WriteStringValue(eventName);
            }
            foreach (var arg in args)
            {
                if (arg is IForwardedArguments forwarded)
                {
                    WriteForwarded(writer, forwarded, collected);
                }
                else
                {
                    WriteValue(writer, arg);
                }
            }
            writer.WriteEndArray();
            writer.Flush();
        }

        var json = body.WrittenSpan;
        Span<byte> header = stackalloc byte[SocketPacketWriter.GetHeaderLength(nsp, ackId, collected.Count)];
        var headerLength = SocketPacketWriter.WriteHeader(header, type, nsp, ackId, collected.Count);
        var bytes = new byte[1 + headerLength + json.Length];
        bytes[0] = (byte)('0' + (int)EnginePacketType.Message);
        header[..headerLength].CopyTo(bytes.AsSpan(1));
        json.CopyTo(bytes.AsSpan(1 + headerLength));
        if (body.Capacity > 1 << 20)
        {
            t_body = null;
            t_writer = null;
        }
        attachments = collected.Count == 0 ? [] : [.. collected];
        return bytes;
    }

    /// <summary>Encodes a packet whose data is given as raw JSON or nothing (CONNECT, CONNECT_ERROR, DISCONNECT).</summary>
    public static byte[] Control(SocketPacketType type, string nsp, ReadOnlySpan<byte> json = default)
    {
        var header = SocketPacketWriter.GetHeaderLength(nsp, SocketPacket.NoAck, 0);
        var bytes = new byte[1 + header + json.Length];
        bytes[0] = (byte)('0' + (int)EnginePacketType.Message);
        var n = 1 + SocketPacketWriter.WriteHeader(bytes.AsSpan(1), type, nsp, SocketPacket.NoAck, 0);
        json.CopyTo(bytes.AsSpan(n));
        return bytes[..(n + json.Length)];
    }

    /// <summary>
    /// Writes one value made by the application: <c>null</c>, a <see cref="JsonElement"/> as it is, anything
    /// else serialized with <see cref="SocketJson.Options"/> (binary becomes an attachment inside an
    /// attachment scope, base64 outside one).
    /// </summary>
    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            default:
                JsonSerializer.Serialize(writer, value, value.GetType(), SocketJson.Options);
                break;
        }
    }

    private static void WriteForwarded(Utf8JsonWriter writer, IForwardedArguments forwarded, List<ReadOnlyMemory<byte>> attachments)
    {
        if (forwarded.Raw.IsEmpty)
        {
            return;
        }
        if (forwarded.Attachments.Count == 0 || attachments.Count == 0)
        {
            // The raw text is a comma-separated list of values: written as one "raw value" it keeps
            // its bytes, and the writer's own separators stay consistent around it.
            writer.WriteRawValue(forwarded.Raw.Span, skipInputValidation: true);
            attachments.AddRange(forwarded.Attachments);
            return;
        }
        // Other binary values came first: renumber this argument list's placeholders after them.
        var offset = attachments.Count;
        for (var i = 0; i < forwarded.Count; i++)
        {
            var node = JsonNode.Parse(forwarded[i].GetRawText());
            Renumber(node, offset);
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer);
            }
        }
        attachments.AddRange(forwarded.Attachments);
    }

    private static void Renumber(JsonNode? node, int offset)
    {
        switch (node)
        {
            case JsonObject obj when obj["_placeholder"] is JsonValue flag && flag.TryGetValue<bool>(out var isPlaceholder) && isPlaceholder
                                     && obj["num"] is JsonValue num && num.TryGetValue<int>(out var n):
                obj["num"] = n + offset;
                break;
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Renumber(child, offset);
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Renumber(child, offset);
                }
                break;
        }
    }
}
