using System.Text.Json;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.Channels;

/// <summary>
/// One message published to one or more channels of a namespace. It is encoded at most once per wire
/// format, lazily, and the same bytes go to every subscriber of that format.
/// </summary>
public sealed partial class Publication
{
    private readonly object?[] _args;
    private byte[]? _data;
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
    public ReadOnlyMemory<byte> Data => _data ??= Encode(asArray: false);

    /// <summary>
    /// The arguments as one JSON array (<c>[arg1, arg2]</c>), for stores that keep publications outside
    /// this process; <see cref="FromStored"/> rebuilds the publication from it.
    /// </summary>
    public ReadOnlyMemory<byte> ArgumentsJson => Encode(asArray: true);

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
        if (offset is null)
        {
            return _socketPacket ??= PacketEncoder.Event(nsp, Event, _args);
        }
        return _socketPacket ??= PacketEncoder.Event(nsp, Event, [.. _args, offset]).WithOffset(offset);
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

    /// <summary>Binary values made by the server are written as base64 strings (no attachment scope is active here).</summary>
    private byte[] Encode(bool asArray)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, SocketPacketEncoder.WriterOptions))
        {
            var single = !asArray && _args.Length == 1 && _args[0] is not SocketArguments { Count: not 1 };
            if (!single)
            {
                writer.WriteStartArray();
            }
            foreach (var arg in _args)
            {
                switch (arg)
                {
                    case SocketArguments { Attachments.Count: > 0 } binary:
                        // JSON has no bytes: each binary placeholder becomes its attachment in base64.
                        for (var i = 0; i < binary.Count; i++)
                        {
                            WriteWithAttachments(writer, binary[i], binary.Attachments);
                        }
                        break;
                    case SocketArguments raw:
                        // Received arguments are forwarded as they came.
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
            if (!single)
            {
                writer.WriteEndArray();
            }
        }
        return buffer.ToArray();
    }
}

/// <summary>A publication at its place in one channel.</summary>
public readonly record struct ChannelEntry(string Channel, long Offset, string Epoch, Publication Publication)
{
    /// <summary>The entry's place in its channel: offset and epoch.</summary>
    public StreamPosition Position => new(Offset, Epoch);
}
