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
/// the publication as JSON, written by the script too from the stored entry's fields; a broadcast's header (<c>t: "b"</c>) gives the namespace, rooms, except
/// rooms, flags and the lengths of the packet's parts, and its body is those bytes, sent as they are.
/// </summary>
internal static class ClusterMessage
{
    public static byte[] Broadcast(ClusterBroadcast broadcast) => ClusterWire.Write(w =>
    {
        w.WriteString("t"u8, "b");
        w.WriteString("nsp"u8, broadcast.Namespace);
    }, broadcast.Options, broadcast.Packet);

    public static byte[] Request(ClusterRequest request) => Concat(ClusterWire.Write(w =>
    {
        w.WriteString("t"u8, "r");
        w.WriteString("nsp"u8, request.Namespace);
        w.WriteString("id"u8, request.Id);
        w.WriteString("origin"u8, request.Origin);
        w.WriteString("kind"u8, request.Kind);
        ClusterWire.WriteStrings(w, "rooms"u8, request.Rooms);
    }), request.Body.Span);

    public static byte[] Reply(ClusterReply reply) => Concat(ClusterWire.Write(w =>
    {
        w.WriteString("t"u8, "a");
        w.WriteString("id"u8, reply.Id);
        w.WriteString("from"u8, reply.From);
        w.WriteString("kind"u8, reply.Kind);
    }), reply.Body.Span);

    /// <summary>Reads an inbox message; throws <see cref="FormatException"/>, <see cref="JsonException"/> or <see cref="KeyNotFoundException"/> when it is not one.</summary>
    public static object Parse(ReadOnlyMemory<byte> message, string to)
    {
        var (document, body) = ClusterWire.Read(message);
        using (document)
        {
            var root = document.RootElement;
            return root.GetProperty("t").GetString() switch
            {
                "p" => ParsePublication(root, Text(root, "nsp"), body),
                "b" => new ClusterBroadcast(Text(root, "nsp"), ClusterWire.ReadPacket(root, body), ClusterWire.ReadOptions(root)),
                "r" => new ClusterRequest(Text(root, "nsp"), Text(root, "id"), Text(root, "origin"), Text(root, "kind"), ClusterWire.Strings(root, "rooms"), body.ToArray()),
                "a" => new ClusterReply(to, Text(root, "id"), Text(root, "from"), Text(root, "kind"), body.ToArray()),
                var other => throw new FormatException($"Unknown cluster message type '{other}'."),
            };
        }
    }

    private static string Text(JsonElement root, string name) => root.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null.");

    private static byte[] Concat(byte[] head, ReadOnlySpan<byte> tail)
    {
        var all = new byte[head.Length + tail.Length];
        head.CopyTo(all, 0);
        tail.CopyTo(all.AsSpan(head.Length));
        return all;
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
        return new ClusterDelivery(nsp, root.GetProperty("epoch").GetString()!, ClusterWire.Strings(root, "rooms"), positions, rebuilt);
    }

    /// <summary>Lua writes integers as numbers; large ones may come as 1e+14 forms, which are still exact below 2^53.</summary>
    private static long ReadLong(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture)
        : value.TryGetInt64(out var exact) ? exact : (long)value.GetDouble();
}
