using System.Text.Json;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Channels;

/// <summary>
/// One message published to one or more channels of a namespace. It is encoded at most once per wire
/// format, lazily, and the same bytes go to every subscriber of that format.
/// </summary>
public sealed partial class Publication
{
    private readonly object?[] _args;
    private JsonForms? _json;
    private EncodedPacket? _socketPacket;

    internal Publication(long seq, string eventName, object?[] args, IReadOnlyCollection<string> except, string? publisherId, DateTimeOffset time)
    {
        Seq = seq;
        Event = eventName;
        _args = args;
        Except = except;
        PublisherId = publisherId;
        Time = time;
    }

    /// <summary>The namespace-wide sequence number: publications of a namespace are totally ordered by it.</summary>
    public long Seq { get; }

    /// <summary>The event name subscribers receive it as.</summary>
    public string Event { get; }

    /// <summary>Rooms whose members do not receive this publication (Socket.IO's <c>except</c>).</summary>
    public IReadOnlyCollection<string> Except { get; }

    /// <summary>A connection id that does not receive this publication (the HTTP API's exclude option).</summary>
    public string? PublisherId { get; }

    /// <summary>When it was published.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The arguments as given to the emit (a <see cref="SocketArguments"/> or values).</summary>
    public IReadOnlyList<object?> Arguments => _args;

    /// <summary>
    /// The publication's data as one JSON value, for the JSON protocols (SSE, plain WebSocket,
    /// long-poll, HTTP API): the single argument, or an array when there are none or several. Values
    /// made by the server write binary as base64 strings.
    /// </summary>
    public ReadOnlyMemory<byte> Data => Json.Data;

    /// <summary>
    /// The arguments as one JSON array (<c>[arg1, arg2]</c>), for stores that keep publications outside
    /// this process; <see cref="FromStored"/> rebuilds the publication from it.
    /// </summary>
    public ReadOnlyMemory<byte> ArgumentsJson => Json.Array;

    private JsonForms Json => Volatile.Read(ref _json) ?? EncodeJson();

    /// <summary>
    /// The arguments encoded as JSON once (docs/decisions/0011): the array, the data (the array or its
    /// one element, a slice of the same bytes) and, when no argument holds binary, the array's inside,
    /// which the Socket.IO packet splices in instead of serializing the values again.
    /// </summary>
    private sealed record JsonForms(ReadOnlyMemory<byte> Array, ReadOnlyMemory<byte> Data, ReadOnlyMemory<byte>? Inside);

    private JsonForms EncodeJson()
    {
        // Written with an attachment scope: the bytes are the same as without one unless a value holds
        // binary, and then Socket.IO (attachments) and JSON (base64) need two encodings anyway.
        var attachments = new List<ReadOnlyMemory<byte>>(0);
        byte[] array;
        using (SocketJson.AttachmentScope.ForWriting(attachments))
        {
            array = EncodeArray();
        }
        if (attachments.Count > 0)
        {
            array = EncodeArray();
        }
        var binary = attachments.Count > 0 || Array.Exists(_args, a => a is SocketArguments { Attachments.Count: > 0 });
        var single = _args.Length == 1 && _args[0] is not SocketArguments { Count: not 1 };
        var memory = (ReadOnlyMemory<byte>)array;
        var inside = memory[1..^1];
        var forms = new JsonForms(memory, single ? inside : memory, binary ? (ReadOnlyMemory<byte>?)null : inside);
        return Interlocked.CompareExchange(ref _json, forms, null) ?? forms;
    }

    /// <summary>Rebuilds a publication read back from a store (see <see cref="ArgumentsJson"/>).</summary>
    public static Publication FromStored(long seq, string eventName, ReadOnlyMemory<byte> argumentsJson, IReadOnlyCollection<string> except, string? publisherId, DateTimeOffset time)
    {
        if (!SocketArguments.TryCreate(argumentsJson, hasName: false, [], out _, out var args))
        {
            throw new FormatException("Stored publication arguments are not a JSON array.");
        }
        return new Publication(seq, eventName, [args!], except, publisherId, time);
    }

    private KeyCache? _key;

    /// <summary>
    /// The conflation key of this publication (<see cref="SlowConsumerPolicy.LatestPerKey"/>): the value of
    /// the top-level field <paramref name="field"/> of its data (a string's characters, any other value's
    /// JSON text), "" when the data has no such field or <paramref name="field"/> is null. Read once per field.
    /// </summary>
    internal string KeyOf(string? field)
    {
        if (field is null)
        {
            return "";
        }
        if (Volatile.Read(ref _key) is { } cached && string.Equals(cached.Field, field, StringComparison.Ordinal))
        {
            return cached.Key;
        }
        var key = ReadKey(Data.Span, field);
        Volatile.Write(ref _key, new KeyCache(field, key));
        return key;
    }

    private static string ReadKey(ReadOnlySpan<byte> json, string field)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "";
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(field);
                reader.Read();
                if (match)
                {
                    return reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString() ?? "",
                        JsonTokenType.StartObject or JsonTokenType.StartArray => "",
                        _ => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                    };
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return "";
    }

    private sealed record KeyCache(string Field, string Key);

    /// <summary>The Socket.IO event packet, with <paramref name="offset"/> appended as the last argument when given.</summary>
    internal EncodedPacket SocketPacket(string nsp, string? offset)
    {
        if (_socketPacket is { } packet)
        {
            return packet;
        }
        if (Volatile.Read(ref _json)?.Inside is { } inside)
        {
            // Already encoded for the JSON protocols or the store, without binary: splice, don't serialize.
            var spliced = new SplicedArguments(inside);
            var text = offset is null
                ? SocketPacketEncoder.Encode(SocketPacketType.Event, nsp, Event, [spliced], global::Switchboard.Protocols.SocketIO.SocketPacket.NoAck, out _)
                : SocketPacketEncoder.Encode(SocketPacketType.Event, nsp, Event, [spliced, offset], global::Switchboard.Protocols.SocketIO.SocketPacket.NoAck, out _);
            packet = offset is null
                ? new EncodedPacket(text, [], Event, [.. _args])
                : new EncodedPacket(text, [], Event, [.. _args, offset]).WithOffset(offset);
            return _socketPacket = packet;
        }
        if (offset is null)
        {
            return _socketPacket = PacketEncoder.Event(nsp, Event, _args);
        }
        return _socketPacket = PacketEncoder.Event(nsp, Event, [.. _args, offset]).WithOffset(offset);
    }

    /// <summary>The arguments' JSON, already encoded, spliced into a packet as received arguments are.</summary>
    private sealed class SplicedArguments(ReadOnlyMemory<byte> raw) : IForwardedArguments
    {
        public ReadOnlyMemory<byte> Raw => raw;

        public IReadOnlyList<ReadOnlyMemory<byte>> Attachments => [];

        // Read only to renumber attachments, and these arguments have none.
        public int Count => throw new NotSupportedException();

        public JsonElement this[int index] => throw new NotSupportedException();
    }

    /// <summary>The arguments as a JSON array (the codec: <see cref="Protocols.SocketIO.ArgumentsJson"/>); binary values are base64 strings unless an attachment scope is active.</summary>
    private byte[] EncodeArray() => Protocols.SocketIO.ArgumentsJson.Encode(_args);
}

/// <summary>A publication at its place in one channel.</summary>
public readonly record struct ChannelEntry(string Channel, long Offset, string Epoch, Publication Publication)
{
    /// <summary>The entry's place in its channel: offset and epoch.</summary>
    public StreamPosition Position => new(Offset, Epoch);
}
