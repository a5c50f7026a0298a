using System.Buffers;
using System.Text.Json;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Client;

/// <summary>
/// One encoded Socket.IO packet as it goes on the wire: an Engine.IO message (<c>4</c> + the Socket.IO
/// packet) and the binary attachments that follow it, each its own binary message.
/// </summary>
internal sealed record OutgoingPacket(byte[] Text, ReadOnlyMemory<byte>[] Attachments)
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = SocketJson.Options.Encoder,
        SkipValidation = true,
    };

    public static OutgoingPacket Event(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId) =>
        Encode(SocketPacketType.Event, nsp, eventName, args, ackId);

    public static OutgoingPacket Ack(string nsp, long ackId, ReadOnlySpan<object?> args) =>
        Encode(SocketPacketType.Ack, nsp, null, args, ackId);

    /// <summary>A packet whose data is raw JSON or nothing (CONNECT, DISCONNECT).</summary>
    public static OutgoingPacket Control(SocketPacketType type, string nsp, ReadOnlySpan<byte> json = default)
    {
        var header = new byte[SocketPacketWriter.GetHeaderLength(nsp, SocketPacket.NoAck, 0)];
        var n = SocketPacketWriter.WriteHeader(header, type, nsp, SocketPacket.NoAck, 0);
        var bytes = new byte[1 + n + json.Length];
        bytes[0] = (byte)('0' + (int)EnginePacketType.Message);
        header.AsSpan(0, n).CopyTo(bytes.AsSpan(1));
        json.CopyTo(bytes.AsSpan(1 + n));
        return new OutgoingPacket(bytes, []);
    }

    private static OutgoingPacket Encode(SocketPacketType type, string nsp, string? eventName, ReadOnlySpan<object?> args, long ackId)
    {
        var body = new ArrayBufferWriter<byte>(256);
        var attachments = new List<ReadOnlyMemory<byte>>(0);
        using (var writer = new Utf8JsonWriter(body, WriterOptions))
        using (SocketJson.AttachmentScope.ForWriting(attachments))
        {
            writer.WriteStartArray();
            if (eventName is not null)
            {
                writer.WriteStringValue(eventName);
            }
            foreach (var arg in args)
            {
                switch (arg)
                {
                    case null:
                        writer.WriteNullValue();
                        break;
                    case JsonElement element:
                        element.WriteTo(writer);
                        break;
                    default:
                        JsonSerializer.Serialize(writer, arg, arg.GetType(), SocketJson.Options);
                        break;
                }
            }
            writer.WriteEndArray();
        }

        var json = body.WrittenSpan;
        var header = new byte[SocketPacketWriter.GetHeaderLength(nsp, ackId, attachments.Count)];
        var n = SocketPacketWriter.WriteHeader(header, type, nsp, ackId, attachments.Count);
        var bytes = new byte[1 + n + json.Length];
        bytes[0] = (byte)('0' + (int)EnginePacketType.Message);
        header.AsSpan(0, n).CopyTo(bytes.AsSpan(1));
        json.CopyTo(bytes.AsSpan(1 + n));
        return new OutgoingPacket(bytes, [.. attachments]);
    }
}
