using System.Buffers;
using System.Globalization;
using System.Text.Json;
using MessagePack;
using Switchboard.SocketIO;

namespace Switchboard.Redis.Compat;

/// <summary>
/// The MessagePack side of the <c>@socket.io/redis-adapter</c> wire format (docs/redis-adapter-compat.md):
/// broadcasts are <c>[uid, packet, opts]</c> with <c>packet = {type, data, nsp}</c> and
/// <c>opts = {rooms, except, flags}</c>, binary values travel as MessagePack <c>bin</c>. Values are read into
/// plain trees (<see cref="Dictionary{TKey,TValue}"/> of string to value, <see cref="List{T}"/>, <c>byte[]</c>,
/// string, long, ulong, double, bool, null) that <see cref="PacketEncoder"/> turns into a Socket.IO packet
/// (binary values become attachments), and written from Socket.IO JSON data whose binary placeholders are
/// resolved against the packet's attachments. Pure: no I/O.
/// </summary>
internal static class AdapterCodec
{
    /// <summary>socket.io-parser's EVENT; the adapter sends the packet before the parser turns it into BINARY_EVENT.</summary>
    public const int EventType = 2;

    private const int BinaryEventType = 5;
    private const int MaxDepth = 64;

    /// <summary>Reads a broadcast message (<c>[uid, packet, opts]</c>); false when it is not one (an unknown shape reads as nothing).</summary>
    public static bool TryReadBroadcast(ReadOnlySequence<byte> message, out AdapterBroadcast? broadcast)
    {
        broadcast = null;
        try
        {
            var reader = new MessagePackReader(message);
            if (ReadValue(ref reader, 0) is not List<object?> { Count: >= 2 } top || top[0] is not string uid)
            {
                return false;
            }
            if (top[1] is not Dictionary<string, object?> packet)
            {
                return false;
            }
            var opts = top.Count > 2 ? top[2] as Dictionary<string, object?> : null;
            return TryReadPacket(packet, opts, out broadcast, uid);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Builds a broadcast from an already decoded packet and options map (also used by BROADCAST requests).</summary>
    public static bool TryReadPacket(Dictionary<string, object?> packet, Dictionary<string, object?>? opts, out AdapterBroadcast? broadcast, string uid = "")
    {
        broadcast = null;
        if (ToLong(packet.GetValueOrDefault("type")) is not (EventType or BinaryEventType))
        {
            return false;
        }
        if (packet.GetValueOrDefault("data") is not List<object?> { Count: >= 1 } data || data[0] is not string eventName)
        {
            return false;
        }
        var nsp = packet.GetValueOrDefault("nsp") as string ?? "/";
        var flags = BroadcastFlags.None;
        if (opts?.GetValueOrDefault("flags") is Dictionary<string, object?> flagMap)
        {
            if (flagMap.GetValueOrDefault("volatile") is true)
            {
                flags |= BroadcastFlags.Volatile;
            }
            if (flagMap.GetValueOrDefault("compress") is true)
            {
                flags |= BroadcastFlags.Compress;
            }
            else if (flagMap.GetValueOrDefault("compress") is false)
            {
                flags |= BroadcastFlags.NoCompress;
            }
        }
        broadcast = new AdapterBroadcast(uid, nsp, eventName, [.. data.Skip(1)], ReadRooms(opts?.GetValueOrDefault("rooms")), ReadRooms(opts?.GetValueOrDefault("except")), flags);
        return true;
    }

    /// <summary>Rooms are strings, but a JavaScript server may use numbers: they become their decimal text.</summary>
    public static IReadOnlyList<string> ReadRooms(object? value)
    {
        if (value is not List<object?> list)
        {
            return [];
        }
        var rooms = new List<string>(list.Count);
        foreach (var item in list)
        {
            switch (item)
            {
                case string s:
                    rooms.Add(s);
                    break;
                case long or ulong or double:
                    rooms.Add(Convert.ToString(item, CultureInfo.InvariantCulture)!);
                    break;
            }
        }
        return rooms;
    }

    /// <summary>Reads any MessagePack message into a plain value tree.</summary>
    public static object? Read(ReadOnlySequence<byte> message)
    {
        var reader = new MessagePackReader(message);
        return ReadValue(ref reader, 0);
    }

    private static object? ReadValue(ref MessagePackReader reader, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new MessagePackSerializationException("Nested too deeply.");
        }
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                return null;
            case MessagePackType.Boolean:
                return reader.ReadBoolean();
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    var unsigned = reader.ReadUInt64();
                    return unsigned <= long.MaxValue ? (long)unsigned : unsigned;
                }
                return reader.ReadInt64();
            case MessagePackType.Float:
                var number = reader.ReadDouble();
                return double.IsFinite(number) ? number : null;
            case MessagePackType.String:
                return reader.ReadString();
            case MessagePackType.Binary:
                return reader.ReadBytes()?.ToArray();
            case MessagePackType.Array:
            {
                var count = reader.ReadArrayHeader();
                var list = new List<object?>(Math.Min(count, 1024));
                for (var i = 0; i < count; i++)
                {
                    list.Add(ReadValue(ref reader, depth + 1));
                }
                return list;
            }
            case MessagePackType.Map:
            {
                var count = reader.ReadMapHeader();
                var map = new Dictionary<string, object?>(Math.Min(count, 1024), StringComparer.Ordinal);
                for (var i = 0; i < count; i++)
                {
                    var key = ReadValue(ref reader, depth + 1);
                    var value = ReadValue(ref reader, depth + 1);
                    map[Convert.ToString(key, CultureInfo.InvariantCulture) ?? "null"] = value;
                }
                return map;
            }
            case MessagePackType.Extension:
                return ReadExtension(ref reader);
            default:
                throw new MessagePackSerializationException($"Unexpected MessagePack code {reader.NextCode}.");
        }
    }

    /// <summary>
    /// notepack.io's extensions: type 0 is an ArrayBuffer (or, one byte long, <c>undefined</c>), type -1 a
    /// timestamp, which becomes its ISO 8601 text as JSON.stringify would write a Date. Others read as null.
    /// </summary>
    private static object? ReadExtension(ref MessagePackReader reader)
    {
        var code = reader.NextCode;
        var header = reader.CreatePeekReader().ReadExtensionFormatHeader();
        if (header.TypeCode == ReservedMessagePackExtensionTypeCode.DateTime)
        {
            return reader.ReadDateTime().ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }
        var extension = reader.ReadExtensionFormat();
        if (header.TypeCode != 0 || code == MessagePackCode.FixExt1)
        {
            // fixext1 of type 0 is notepack's undefined, which JSON has as null (or leaves out).
            return null;
        }
        return extension.Data.ToArray();
    }

    /// <summary>
    /// Writes a broadcast message: <paramref name="data"/> is the Socket.IO event's JSON array (event name
    /// first), its binary placeholders resolved against <paramref name="attachments"/>.
    /// </summary>
    public static void WriteBroadcast(
        IBufferWriter<byte> output, string uid, string nsp, ReadOnlyMemory<byte> data, IReadOnlyList<ReadOnlyMemory<byte>> attachments,
        IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except, BroadcastFlags flags)
    {
        using var document = JsonDocument.Parse(data);
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(3);
        writer.Write(uid);
        writer.WriteMapHeader(3);
        writer.Write("type");
        writer.Write(EventType);
        writer.Write("data");
        WriteJson(ref writer, document.RootElement, attachments);
        writer.Write("nsp");
        writer.Write(nsp);
        writer.WriteMapHeader(3);
        writer.Write("rooms");
        WriteStrings(ref writer, rooms);
        writer.Write("except");
        WriteStrings(ref writer, except);
        writer.Write("flags");
        var volatileFlag = (flags & BroadcastFlags.Volatile) != 0;
        var compress = (flags & (BroadcastFlags.Compress | BroadcastFlags.NoCompress)) != 0;
        writer.WriteMapHeader((volatileFlag ? 1 : 0) + (compress ? 1 : 0));
        if (volatileFlag)
        {
            writer.Write("volatile");
            writer.Write(true);
        }
        if (compress)
        {
            writer.Write("compress");
            writer.Write((flags & BroadcastFlags.NoCompress) == 0);
        }
        writer.Flush();
    }

    /// <summary>Writes one JSON value (Socket.IO data) as MessagePack, placeholders becoming <c>bin</c>.</summary>
    public static void WriteJson(ref MessagePackWriter writer, JsonElement value, IReadOnlyList<ReadOnlyMemory<byte>> attachments) =>
        Protocols.SocketIO.MsgPackJson.WriteValue(ref writer, value, attachments);

    private static void WriteStrings(ref MessagePackWriter writer, IReadOnlyCollection<string> values)
    {
        writer.WriteArrayHeader(values.Count);
        foreach (var value in values)
        {
            writer.Write(value);
        }
    }

    internal static long? ToLong(object? value) => value switch
    {
        long l => l,
        ulong u when u <= long.MaxValue => (long)u,
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => (long)d,
        _ => null,
    };
}

/// <summary>A broadcast read from the adapter's channels: the event, its arguments as a value tree, and its targets.</summary>
internal sealed record AdapterBroadcast(
    string Uid, string Namespace, string EventName, IReadOnlyList<object?> Arguments,
    IReadOnlyList<string> Rooms, IReadOnlyList<string> Except, BroadcastFlags Flags)
{
    /// <summary>The Socket.IO packet for local delivery, encoded once; binary arguments become attachments.</summary>
    public EncodedPacket ToPacket() => PacketEncoder.Event(Namespace, EventName, [.. Arguments]);
}
