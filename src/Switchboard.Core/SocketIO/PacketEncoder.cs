using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// Encodes outgoing Socket.IO packets into their final Engine.IO bytes, once per packet. Arguments are
/// serialized with <see cref="SocketJson.Options"/>; a <see cref="SocketArguments"/> argument is spliced
/// in raw, so received arguments round-trip byte for byte.
/// </summary>
public static class PacketEncoder
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = SocketJson.Options.Encoder,
        SkipValidation = true,
    };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_body;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>Encodes an EVENT (or BINARY_EVENT) packet once, asking for an acknowledgement when <paramref name="ackId"/> is set.</summary>
    public static EncodedPacket Event(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId = SocketPacket.NoAck) =>
        Encode(SocketPacketType.Event, nsp, eventName, args, ackId, keepArguments: true);

    /// <summary>Encodes an ACK (or BINARY_ACK) packet.</summary>
    public static EncodedPacket Ack(string nsp, long ackId, ReadOnlySpan<object?> args) =>
        Encode(SocketPacketType.Ack, nsp, null, args, ackId, keepArguments: false);

    /// <summary>Encodes a packet whose data is given as raw JSON (CONNECT, CONNECT_ERROR, DISCONNECT).</summary>
    public static byte[] Control(SocketPacketType type, string nsp, ReadOnlySpan<byte> json = default)
    {
        var header = SocketPacketWriter.GetHeaderLength(nsp, SocketPacket.NoAck, 0);
        var bytes = new byte[1 + header + json.Length];
        bytes[0] = (byte)('0' + (int)EnginePacketType.Message);
        var n = 1 + SocketPacketWriter.WriteHeader(bytes.AsSpan(1), type, nsp, SocketPacket.NoAck, 0);
        json.CopyTo(bytes.AsSpan(n));
        return bytes[..(n + json.Length)];
    }

    private static EncodedPacket Encode(SocketPacketType type, string nsp, string? eventName, ReadOnlySpan<object?> args, long ackId, bool keepArguments)
    {
        var body = t_body ??= new ArrayBufferWriter<byte>(1024);
        body.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(body, WriterOptions);
        writer.Reset(body);
        var attachments = new List<ReadOnlyMemory<byte>>(0);
        using (SocketJson.AttachmentScope.ForWriting(attachments))
        {
            writer.WriteStartArray();
            if (eventName is not null)
            {
                writer.WriteStringValue(eventName);
            }
            foreach (var arg in args)
            {
                WriteArgument(writer, arg, attachments);
            }
            writer.WriteEndArray();
            writer.Flush();
        }

        var json = body.WrittenSpan;
        Span<byte> header = stackalloc byte[SocketPacketWriter.GetHeaderLength(nsp, ackId, attachments.Count)];
        var headerLength = SocketPacketWriter.WriteHeader(header, type, nsp, ackId, attachments.Count);
        var bytes = new byte[1 + headerLength + json.Length];
        bytes[0] = (byte)('0' + (int)EnginePacketType.Message);
        header[..headerLength].CopyTo(bytes.AsSpan(1));
        json.CopyTo(bytes.AsSpan(1 + headerLength));
        if (body.Capacity > 1 << 20)
        {
            t_body = null;
            t_writer = null;
        }
        return new EncodedPacket(bytes, attachments.Count == 0 ? [] : [.. attachments], eventName, keepArguments ? args.ToArray() : null);
    }

    private static void WriteArgument(Utf8JsonWriter writer, object? arg, List<ReadOnlyMemory<byte>> attachments)
    {
        switch (arg)
        {
            case null:
                writer.WriteNullValue();
                break;
            case SocketArguments forwarded:
                WriteForwarded(writer, forwarded, attachments);
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            default:
                JsonSerializer.Serialize(writer, arg, arg.GetType(), SocketJson.Options);
                break;
        }
    }

    private static void WriteForwarded(Utf8JsonWriter writer, SocketArguments forwarded, List<ReadOnlyMemory<byte>> attachments)
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
