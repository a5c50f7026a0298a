using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Reads a Socket.IO packet in socket.io-msgpack-parser's format: one Engine.IO binary message holding a
/// MessagePack map <c>{type, nsp, data?, id?}</c> (docs/parsers.md). The packet comes out in the JSON
/// parser's form, so the server above handles both alike: <see cref="SocketPacket.Data"/> is the data
/// as JSON, every binary value in it a placeholder naming one of the returned attachments.
/// The checks are socket.io-msgpack-parser's (type 0–4, a string namespace, the data's shape per type,
/// an integer id), plus the JSON parser's: a valid event name, at most <see cref="JsonLimits.MaxDepth"/>
/// levels, at most <see cref="MsgPackJson.MaxAttachments"/> binary values, no trailing bytes.
/// </summary>
public static class MsgPackPacketReader
{
    private const long MaxAckId = 999_999_999_999_999;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = SocketJson.Options.Encoder,
        SkipValidation = true,
    };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Reads one message. On a payload nested too deeply the error is <see cref="SocketPacketReader.PayloadTooDeep"/>
    /// and the packet's type and namespace are still returned, so a CONNECT can be refused with a CONNECT_ERROR.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> message, out SocketPacket packet, out ReadOnlyMemory<byte>[] attachments, out string? error)
    {
        packet = default;
        attachments = [];
        var reader = new MessagePackReader(message);
        long? type = null;
        string? nsp = null;
        var ackId = SocketPacket.NoAck;
        var hasData = false;
        MessagePackReader data = default;
        try
        {
            if (reader.End || reader.NextMessagePackType != MessagePackType.Map)
            {
                error = "not a MessagePack map";
                return false;
            }
            var fields = reader.ReadMapHeader();
            for (var i = 0; i < fields; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String || !reader.TryReadStringSpan(out var key))
                {
                    // Not a field of a packet: skipped, as any unknown field (the client sends "options").
                    MsgPackJson.Skip(ref reader);
                    MsgPackJson.Skip(ref reader);
                    continue;
                }
                if (MsgPackJson.TrySkipUndefined(ref reader))
                {
                    // An undefined field is an absent one (notepack.io 2.x writes `data: undefined`).
                    if (key.SequenceEqual("type"u8)) type = null;
                    else if (key.SequenceEqual("nsp"u8)) nsp = null;
                    else if (key.SequenceEqual("id"u8)) ackId = SocketPacket.NoAck;
                    else if (key.SequenceEqual("data"u8)) hasData = false;
                    continue;
                }
                if (key.SequenceEqual("type"u8))
                {
                    type = reader.NextMessagePackType == MessagePackType.Integer ? reader.ReadInt64() : -1;
                    if (type < 0)
                    {
                        error = "invalid packet type";
                        return false;
                    }
                }
                else if (key.SequenceEqual("nsp"u8))
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        error = "invalid namespace";
                        return false;
                    }
                    nsp = reader.ReadString();
                }
                else if (key.SequenceEqual("id"u8))
                {
                    ackId = reader.NextMessagePackType != MessagePackType.Integer ? -1
                        : reader.NextCode == MessagePackCode.UInt64 ? (long)Math.Min(reader.ReadUInt64(), long.MaxValue)
                        : reader.ReadInt64();
                    if (ackId is < 0 or > MaxAckId)
                    {
                        error = "invalid packet id";
                        return false;
                    }
                }
                else if (key.SequenceEqual("data"u8))
                {
                    data = reader.CreatePeekReader();
                    hasData = true;
                    MsgPackJson.Skip(ref reader);
                }
                else
                {
                    MsgPackJson.Skip(ref reader);
                }
            }
            if (!reader.End)
            {
                error = "trailing bytes after the packet";
                return false;
            }
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            error = "malformed MessagePack";
            return false;
        }

        if (type is not { } number || number > (int)SocketPacketType.ConnectError)
        {
            error = "invalid packet type";
            return false;
        }
        if (nsp is null)
        {
            error = "invalid namespace";
            return false;
        }
        var packetType = (SocketPacketType)number;
        if (hasData)
        {
            return TryReadData(packetType, nsp, ackId, data, out packet, out attachments, out error);
        }
        if (packetType is not (SocketPacketType.Connect or SocketPacketType.Disconnect))
        {
            error = "invalid payload";
            return false;
        }
        packet = new SocketPacket(packetType, nsp, ackId, 0, default);
        error = null;
        return true;
    }

    private static bool TryReadData(SocketPacketType type, string nsp, long ackId, MessagePackReader reader, out SocketPacket packet, out ReadOnlyMemory<byte>[] attachments, out string? error)
    {
        packet = default;
        attachments = [];
        var kind = reader.NextMessagePackType;
        var shapeOk = type switch
        {
            SocketPacketType.Connect => kind == MessagePackType.Map,
            SocketPacketType.ConnectError => kind is MessagePackType.Map or MessagePackType.String,
            SocketPacketType.Event => kind == MessagePackType.Array && HasValidEventName(reader),
            SocketPacketType.Ack => kind == MessagePackType.Array,
            _ => false,
        };
        if (!shapeOk)
        {
            error = "invalid payload";
            return false;
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var json = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        json.Reset(buffer);
        var binary = new List<ReadOnlyMemory<byte>>(0);
        try
        {
            MsgPackJson.ReadValue(ref reader, json, binary, depth: 0);
            json.Flush();
        }
        catch (MsgPackFormatException ex) when (ex.TooDeep)
        {
            json.Reset();
            packet = new SocketPacket(type, nsp, ackId, 0, default);
            error = SocketPacketReader.PayloadTooDeep;
            return false;
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            json.Reset();
            error = ex is MsgPackFormatException ? ex.Message : "malformed MessagePack";
            return false;
        }
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1 << 20)
        {
            t_buffer = null;
            t_writer = null;
        }
        attachments = binary.Count == 0 ? [] : [.. binary];
        packet = new SocketPacket(type, nsp, ackId, attachments.Length, bytes);
        error = null;
        return true;
    }

    /// <summary>
    /// The first element of an event array is its name: a number (a finite one: NaN and the infinities are
    /// written as JSON null, which names nothing), or a string that is not a reserved event.
    /// </summary>
    private static bool HasValidEventName(MessagePackReader reader)
    {
        try
        {
            if (reader.ReadArrayHeader() == 0)
            {
                return false;
            }
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Integer:
                    return true;
                case MessagePackType.Float:
                    return double.IsFinite(reader.NextCode == MessagePackCode.Float32 ? reader.ReadSingle() : reader.ReadDouble());
                case MessagePackType.String:
                    var name = reader.ReadString();
                    return name is not null && Array.IndexOf(SocketPacketReader.ReservedEvents, name) < 0;
                default:
                    return false;
            }
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            return false;
        }
    }

    private static bool IsMalformed(Exception ex) =>
        ex is MessagePackSerializationException or EndOfStreamException or MsgPackFormatException
            or OverflowException or ArgumentException or DecoderFallbackException;
}
