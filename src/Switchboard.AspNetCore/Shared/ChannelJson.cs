using System.Buffers;
using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.AspNetCore.Shared;

/// <summary>
/// The JSON objects the channel endpoints share (docs/protocols/http-api.md, "Objects"): a publication at
/// its place in a channel, a position, a discontinuity. Compact, with the relaxed encoder used for every
/// JSON Switchboard writes.
/// </summary>
internal static class ChannelJson
{
    /// <summary>Presence members as the HTTP API and the admin page write them: <c>"members":[{connectionId, userId, protocol, node}]</c>.</summary>
    public static void WriteMembers(System.Text.Json.Utf8JsonWriter w, IEnumerable<PresenceMember> members)
    {
        w.WriteStartArray("members"u8);
        foreach (var member in members)
        {
            w.WriteStartObject();
            w.WriteString("connectionId"u8, member.ConnectionId);
            w.WriteString("userId"u8, member.UserId);
            w.WriteString("protocol"u8, member.Protocol);
            w.WriteString("node"u8, member.Node);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static readonly JsonWriterOptions WriterOptions = SocketPacketEncoder.WriterOptions;

    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> output) => new(output, WriterOptions);

    /// <summary><c>{"channel":"a","offset":5,"epoch":"E","event":"tick","data":&lt;the publication's data&gt;}</c></summary>
    public static void WritePublication(Utf8JsonWriter writer, in ChannelEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteString("channel"u8, entry.Channel);
        writer.WriteNumber("offset"u8, entry.Offset);
        writer.WriteString("epoch"u8, entry.Epoch);
        writer.WriteString("event"u8, entry.Publication.Event);
        writer.WritePropertyName("data"u8);
        writer.WriteRawValue(entry.Publication.Data.Span, skipInputValidation: true);
        writer.WriteEndObject();
    }

    /// <summary><c>{"channel":"a","epoch":"E","offset":5}</c>: a channel's position, e.g. where it continues after a discontinuity.</summary>
    public static void WritePosition(Utf8JsonWriter writer, string channel, StreamPosition position)
    {
        writer.WriteStartObject();
        writer.WriteString("channel"u8, channel);
        writer.WriteString("epoch"u8, position.Epoch);
        writer.WriteNumber("offset"u8, position.Offset);
        writer.WriteEndObject();
    }

    /// <summary><c>{"offset":5,"epoch":"E"}</c></summary>
    public static void WriteOffsetEpoch(Utf8JsonWriter writer, StreamPosition position)
    {
        writer.WriteStartObject();
        writer.WriteNumber("offset"u8, position.Offset);
        writer.WriteString("epoch"u8, position.Epoch);
        writer.WriteEndObject();
    }
}
