using System.Buffers;
using System.Text.Json;

namespace Switchboard.Cluster;

/// <summary>
/// The bodies of cluster messages (docs/cluster.md, "Wire format"): a JSON header line, then the
/// binary parts it announces. A packet travels as it was encoded (its text frame and attachments, the
/// lengths in the header's <c>lens</c>), so a node never encodes another node's broadcast again.
/// </summary>
public static class ClusterWire
{
    /// <summary>Writes <c>{header fields…, "rooms", "except", "flags", "lens"}</c>, a line feed and the packet's bytes.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> header, BroadcastOptions? options = null, EncodedPacket? packet = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (packet?.Text.Length ?? 0));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            header(writer);
            if (options is not null)
            {
                WriteStrings(writer, "rooms"u8, options.Rooms);
                WriteStrings(writer, "except"u8, options.Except);
                writer.WriteNumber("flags"u8, (int)options.Flags);
            }
            if (packet is not null)
            {
                writer.WriteStartArray("lens"u8);
                writer.WriteNumberValue(packet.Text.Length);
                foreach (var attachment in packet.Attachments)
                {
                    writer.WriteNumberValue(attachment.Length);
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        buffer.Write("\n"u8);
        if (packet is not null)
        {
            buffer.Write(packet.Text);
            foreach (var attachment in packet.Attachments)
            {
                buffer.Write(attachment.Span);
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Splits a body into its header (parsed) and the bytes after the line feed.</summary>
    public static (JsonDocument Header, ReadOnlyMemory<byte> Body) Read(ReadOnlyMemory<byte> body)
    {
        var newline = body.Span.IndexOf((byte)'\n');
        if (newline < 0)
        {
            throw new FormatException("A cluster message starts with a header line.");
        }
        return (JsonDocument.Parse(body[..newline]), body[(newline + 1)..]);
    }

    /// <summary>The broadcast targets (<c>rooms</c>, <c>except</c>, <c>flags</c>) of a message header.</summary>
    public static BroadcastOptions ReadOptions(JsonElement header) =>
        new(Strings(header, "rooms"), Strings(header, "except"), header.TryGetProperty("flags", out var f) ? (BroadcastFlags)f.GetInt32() : BroadcastFlags.None);

    /// <summary>The packet announced by the header's <c>lens</c>, copied out of <paramref name="rest"/>.</summary>
    public static EncodedPacket ReadPacket(JsonElement header, ReadOnlyMemory<byte> rest)
    {
        var lengths = header.GetProperty("lens").EnumerateArray().Select(l => l.GetInt32()).ToArray();
        if (lengths.Length == 0 || lengths.Sum() != rest.Length)
        {
            throw new FormatException("The packet lengths do not match the body.");
        }
        var attachments = new ReadOnlyMemory<byte>[lengths.Length - 1];
        var at = lengths[0];
        for (var i = 1; i < lengths.Length; i++)
        {
            attachments[i - 1] = rest.Slice(at, lengths[i]).ToArray();
            at += lengths[i];
        }
        return new EncodedPacket(rest[..lengths[0]].ToArray(), attachments);
    }

    /// <summary>The string array <paramref name="name"/> of a header, or an empty one.</summary>
    public static string[] Strings(JsonElement header, string name) =>
        header.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray().Select(x => x.GetString()!)] : [];

    /// <summary>Writes <paramref name="values"/> as the string array <paramref name="name"/>.</summary>
    public static void WriteStrings(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }
        writer.WriteEndArray();
    }
}
