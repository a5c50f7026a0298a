using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Cluster;
using Switchboard.SocketIO;

namespace Switchboard.Redis;

/// <summary>
/// The messages nodes receive in their inbox (docs/cluster.md, "Wire format"): a JSON header, a line
/// feed, and a body. A publication's header is written by the publish script (<c>t: "p"</c>, the
/// namespace, the sequence epoch and number, the position in each channel, the rooms) and its body is
/// the publication as JSON; a broadcast's header (<c>t: "b"</c>) gives the namespace, rooms, except
/// rooms, flags and the lengths of the packet's parts, and its body is those bytes, sent as they are.
/// </summary>
internal static class ClusterMessage
{
    public static byte[] PublicationBody(Publication publication)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event"u8, publication.Event);
            writer.WritePropertyName("args"u8);
            writer.WriteRawValue(publication.ArgumentsJson.Span, skipInputValidation: true);
            writer.WriteStartArray("except"u8);
            foreach (var room in publication.Except)
            {
                writer.WriteStringValue(room);
            }
            writer.WriteEndArray();
            if (publication.PublisherId is { } publisher)
            {
                writer.WriteString("publisher"u8, publisher);
            }
            writer.WriteNumber("time"u8, StoredPublication.ToUnixMicroseconds(publication.Time));
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Broadcast(ClusterBroadcast broadcast)
    {
        var packet = broadcast.Packet;
        var buffer = new ArrayBufferWriter<byte>(256 + packet.Text.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("t"u8, "b");
            writer.WriteString("nsp"u8, broadcast.Namespace);
            WriteStrings(writer, "rooms"u8, broadcast.Options.Rooms);
            WriteStrings(writer, "except"u8, broadcast.Options.Except);
            writer.WriteNumber("flags"u8, (int)broadcast.Options.Flags);
            writer.WriteStartArray("lens"u8);
            writer.WriteNumberValue(packet.Text.Length);
            foreach (var attachment in packet.Attachments)
            {
                writer.WriteNumberValue(attachment.Length);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        buffer.Write("\n"u8);
        buffer.Write(packet.Text);
        foreach (var attachment in packet.Attachments)
        {
            buffer.Write(attachment.Span);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads an inbox message; throws <see cref="FormatException"/> or <see cref="JsonException"/> when it is not one.</summary>
    public static object Parse(ReadOnlyMemory<byte> message)
    {
        var newline = message.Span.IndexOf((byte)'\n');
        if (newline < 0)
        {
            throw new FormatException("A cluster message has a header line.");
        }
        using var header = JsonDocument.Parse(message[..newline]);
        var root = header.RootElement;
        var body = message[(newline + 1)..];
        var nsp = root.GetProperty("nsp").GetString() ?? throw new FormatException("nsp");
        return root.GetProperty("t").GetString() switch
        {
            "p" => ParsePublication(root, nsp, body),
            "b" => ParseBroadcast(root, nsp, body),
            var other => throw new FormatException($"Unknown cluster message type '{other}'."),
        };
    }

    private static ClusterDelivery ParsePublication(JsonElement root, string nsp, ReadOnlyMemory<byte> body)
    {
        var seq = ReadLong(root.GetProperty("seq"));
        var positions = new Dictionary<string, StreamPosition>(StringComparer.Ordinal);
        // An empty Lua table is written as {}, not [].
        if (root.GetProperty("pos") is { ValueKind: JsonValueKind.Array } pos)
        {
            foreach (var item in pos.EnumerateArray())
            {
                positions[item[0].GetString()!] = new StreamPosition(ReadLong(item[1]), item[2].GetString()!);
            }
        }
        using var document = JsonDocument.Parse(body);
        var publication = document.RootElement;
        var except = publication.TryGetProperty("except", out var e) && e.ValueKind == JsonValueKind.Array
            ? e.EnumerateArray().Select(x => x.GetString()!).ToArray()
            : [];
        var publisher = publication.TryGetProperty("publisher", out var p) ? p.GetString() : null;
        var args = publication.GetProperty("args").GetRawText();
        var time = StoredPublication.FromUnixMicroseconds(publication.GetProperty("time").GetInt64());
        var rebuilt = Publication.FromStored(seq, publication.GetProperty("event").GetString()!, Encoding.UTF8.GetBytes(args), except, publisher, time);
        return new ClusterDelivery(nsp, root.GetProperty("epoch").GetString()!, Strings(root.GetProperty("rooms")), positions, rebuilt);
    }

    private static ClusterBroadcast ParseBroadcast(JsonElement root, string nsp, ReadOnlyMemory<byte> body)
    {
        var lengths = root.GetProperty("lens").EnumerateArray().Select(l => l.GetInt32()).ToArray();
        if (lengths.Length == 0 || lengths.Sum() != body.Length)
        {
            throw new FormatException("The packet lengths do not match the body.");
        }
        var text = body[..lengths[0]].ToArray();
        var attachments = new ReadOnlyMemory<byte>[lengths.Length - 1];
        var at = lengths[0];
        for (var i = 1; i < lengths.Length; i++)
        {
            attachments[i - 1] = body.Slice(at, lengths[i]).ToArray();
            at += lengths[i];
        }
        var options = new BroadcastOptions(Strings(root.GetProperty("rooms")), Strings(root.GetProperty("except")), (BroadcastFlags)root.GetProperty("flags").GetInt32());
        return new ClusterBroadcast(nsp, new EncodedPacket(text, attachments), options);
    }

    /// <summary>Lua writes integers as numbers; large ones may come as 1e+14 forms, which are still exact below 2^53.</summary>
    private static long ReadLong(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture)
        : value.TryGetInt64(out var exact) ? exact : (long)value.GetDouble();

    private static string[] Strings(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray().Select(x => x.GetString()!)] : [];

    private static void WriteStrings(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyCollection<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }
        writer.WriteEndArray();
    }
}
