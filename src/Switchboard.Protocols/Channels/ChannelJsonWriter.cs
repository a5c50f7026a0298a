using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Channels;

/// <summary>
/// Writes the JSON objects the channel protocols share (docs/protocols/http-api.md, "Objects"): a
/// publication at its place in a channel, a position, a presence member. The one writer of a
/// publication's object: the HTTP API, SSE, long-poll and the admin page write it as it is, and the plain
/// WebSocket protocol's <c>pub</c> frame is the same fields after its <c>type</c>
/// (<see cref="Plain.PlainFrameWriter.WritePublication"/>). Compact, with the relaxed encoder of every
/// JSON Switchboard writes (<see cref="WriterOptions"/>).
/// </summary>
public static class ChannelJsonWriter
{
    /// <summary>How the objects are written: <see cref="SocketPacketEncoder.WriterOptions"/>.</summary>
    public static JsonWriterOptions WriterOptions => SocketPacketEncoder.WriterOptions;

    /// <summary>
    /// <c>{"channel":"a","offset":5,"epoch":"E","event":"tick","data":..}</c>. <paramref name="data"/> is the
    /// publication's JSON value, written as it is; empty writes <c>null</c>.
    /// </summary>
    public static void WritePublication(Utf8JsonWriter writer, string channel, long offset, string epoch, string eventName, ReadOnlySpan<byte> data)
    {
        writer.WriteStartObject();
        WritePublicationFields(writer, channel, offset, epoch, eventName, data);
        writer.WriteEndObject();
    }

    /// <summary>A publication's fields, inside an object the caller opened.</summary>
    internal static void WritePublicationFields(Utf8JsonWriter writer, string channel, long offset, string epoch, string eventName, ReadOnlySpan<byte> data)
    {
        writer.WriteString("channel"u8, channel);
        writer.WriteNumber("offset"u8, offset);
        writer.WriteString("epoch"u8, epoch);
        writer.WriteString("event"u8, eventName);
        writer.WritePropertyName("data"u8);
        if (data.IsEmpty)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteRawValue(data, skipInputValidation: true);
        }
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

    /// <summary><c>{"connectionId":"..","userId":"..","protocol":"..","node":".."}</c>: one presence member.</summary>
    public static void WriteMember(Utf8JsonWriter writer, string connectionId, string? userId, string protocol, string? node)
    {
        writer.WriteStartObject();
        writer.WriteString("connectionId"u8, connectionId);
        writer.WriteString("userId"u8, userId);
        writer.WriteString("protocol"u8, protocol);
        writer.WriteString("node"u8, node);
        writer.WriteEndObject();
    }
}
