using System.Buffers;
using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;

namespace Switchboard.AspNetCore.Shared;

/// <summary>
/// The channel endpoints' JSON objects (docs/protocols/http-api.md, "Objects") from Core's types: a thin
/// adapter over the codec, <see cref="ChannelJsonWriter"/> in Switchboard.Protocols.
/// </summary>
internal static class ChannelJson
{
    /// <summary>Presence members as the HTTP API and the admin page write them: <c>"members":[{connectionId, userId, protocol, node}]</c>.</summary>
    public static void WriteMembers(Utf8JsonWriter w, IEnumerable<PresenceMember> members)
    {
        w.WriteStartArray("members"u8);
        foreach (var member in members)
        {
            ChannelJsonWriter.WriteMember(w, member.ConnectionId, member.UserId, member.Protocol, member.Node);
        }
        w.WriteEndArray();
    }

    public static JsonWriterOptions WriterOptions => ChannelJsonWriter.WriterOptions;

    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> output) => new(output, ChannelJsonWriter.WriterOptions);

    /// <summary><c>{"channel":"a","offset":5,"epoch":"E","event":"tick","data":&lt;the publication's data&gt;}</c></summary>
    public static void WritePublication(Utf8JsonWriter writer, in ChannelEntry entry) =>
        ChannelJsonWriter.WritePublication(writer, entry.Channel, entry.Offset, entry.Epoch, entry.Publication.Event, entry.Publication.Data.Span);

    /// <summary><c>{"channel":"a","epoch":"E","offset":5}</c>: a channel's position, e.g. where it continues after a discontinuity.</summary>
    public static void WritePosition(Utf8JsonWriter writer, string channel, StreamPosition position) =>
        ChannelJsonWriter.WritePosition(writer, channel, position);

    /// <summary><c>{"offset":5,"epoch":"E"}</c></summary>
    public static void WriteOffsetEpoch(Utf8JsonWriter writer, StreamPosition position) => ChannelJsonWriter.WriteOffsetEpoch(writer, position);
}
