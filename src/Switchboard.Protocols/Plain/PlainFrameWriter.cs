using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchboard.Protocols.Plain;

/// <summary>
/// Writes the server's frames of the plain WebSocket protocol (docs/protocols/websocket.md): replies
/// (<c>{"id":..,"ok":true,...}</c> or <c>{"id":..,"ok":false,"error":{...}}</c>) and pushes
/// (<c>{"type":"pub"|"discontinuity"|"close"|"welcome",...}</c>). Compact JSON, no HTML escaping.
/// Raw values passed in (ids, publication data, encoded publications) must already be valid JSON.
/// </summary>
public static class PlainFrameWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>{"type":"welcome","v":1,"connectionId":"..","maxMessageSize":N}</c>, the first frame of every connection.</summary>
    public static void WriteWelcome(IBufferWriter<byte> output, string connectionId, long maxMessageSize)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("type"u8, "welcome"u8);
        json.WriteNumber("v"u8, PlainProtocol.Version);
        json.WriteString("connectionId"u8, connectionId);
        json.WriteNumber("maxMessageSize"u8, maxMessageSize);
        json.WriteEndObject();
    }

    /// <summary><c>{"id":..,"ok":true}</c>: the reply to <c>unsubscribe</c> and <c>ping</c>.</summary>
    public static void WriteOk(IBufferWriter<byte> output, ReadOnlySpan<byte> id)
    {
        using var json = new Utf8JsonWriter(output, Options);
        StartReply(json, id, ok: true);
        json.WriteEndObject();
    }

    /// <summary><c>{"id":..,"ok":true,"channel":"a","offset":N,"epoch":".."}</c>: the reply to <c>subscribe</c> and <c>publish</c>.</summary>
    public static void WritePosition(IBufferWriter<byte> output, ReadOnlySpan<byte> id, string channel, long offset, string epoch)
    {
        using var json = new Utf8JsonWriter(output, Options);
        StartReply(json, id, ok: true);
        WritePosition(json, channel, offset, epoch);
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>{"id":..,"ok":true,"channel":"a","offset":top,"epoch":"..","continuous":true,"publications":[..]}</c>:
    /// the reply to <c>history</c>. Each publication is an encoded <c>pub</c> frame (<see cref="WritePublication"/>).
    /// </summary>
    public static void WriteHistory(IBufferWriter<byte> output, ReadOnlySpan<byte> id, string channel, long offset, string epoch,
        bool continuous, IReadOnlyList<ReadOnlyMemory<byte>> publications)
    {
        using var json = new Utf8JsonWriter(output, Options);
        StartReply(json, id, ok: true);
        WritePosition(json, channel, offset, epoch);
        json.WriteBoolean("continuous"u8, continuous);
        json.WriteStartArray("publications"u8);
        foreach (var publication in publications)
        {
            json.WriteRawValue(publication.Span, skipInputValidation: true);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary><c>{"id":..,"ok":true,"channel":"a","count":N,"users":U}</c>: the reply to <c>presence</c> (connections, distinct users).</summary>
    public static void WritePresence(IBufferWriter<byte> output, ReadOnlySpan<byte> id, string channel, int count, int users)
    {
        using var json = new Utf8JsonWriter(output, Options);
        StartReply(json, id, ok: true);
        json.WriteString("channel"u8, channel);
        json.WriteNumber("count"u8, count);
        json.WriteNumber("users"u8, users);
        json.WriteEndObject();
    }

    /// <summary><c>{"id":..,"ok":false,"error":{"code":"..","message":".."}}</c>; without an id when the request had none (or an unreadable one).</summary>
    public static void WriteError(IBufferWriter<byte> output, ReadOnlySpan<byte> id, PlainErrorCode code, string message)
    {
        using var json = new Utf8JsonWriter(output, Options);
        StartReply(json, id, ok: false);
        json.WriteStartObject("error"u8);
        json.WriteString("code"u8, code.ToWireName());
        json.WriteString("message"u8, message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>{"type":"pub","channel":"a","offset":N,"epoch":"..","event":"..","data":..}</c>. <paramref name="data"/>
    /// is the publication's JSON value; empty writes <c>null</c>.
    /// </summary>
    public static void WritePublication(IBufferWriter<byte> output, string channel, long offset, string epoch, string eventName, ReadOnlySpan<byte> data)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("type"u8, "pub"u8);
        // The same fields, in the same order, as every other channel protocol's publication object.
        Channels.ChannelJsonWriter.WritePublicationFields(json, channel, offset, epoch, eventName, data);
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>{"type":"discontinuity","channel":"a","offset":N,"epoch":".."}</c>: the position asked for cannot be
    /// continued; live publications follow from this position.
    /// </summary>
    public static void WriteDiscontinuity(IBufferWriter<byte> output, string channel, long offset, string epoch)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("type"u8, "discontinuity"u8);
        WritePosition(json, channel, offset, epoch);
        json.WriteEndObject();
    }

    /// <summary><c>{"type":"close","code":"..","reason":"..","reconnect":bool}</c>, sent before the server closes the WebSocket.</summary>
    public static void WriteClose(IBufferWriter<byte> output, DisconnectCode reason, string message)
    {
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("type"u8, "close"u8);
        json.WriteString("code"u8, reason.Code);
        json.WriteString("reason"u8, message);
        json.WriteBoolean("reconnect"u8, reason.Reconnect);
        json.WriteEndObject();
    }

    private static void StartReply(Utf8JsonWriter json, ReadOnlySpan<byte> id, bool ok)
    {
        json.WriteStartObject();
        if (!id.IsEmpty)
        {
            json.WritePropertyName("id"u8);
            json.WriteRawValue(id, skipInputValidation: true);
        }
        json.WriteBoolean("ok"u8, ok);
    }

    private static void WritePosition(Utf8JsonWriter json, string channel, long offset, string epoch)
    {
        json.WriteString("channel"u8, channel);
        json.WriteNumber("offset"u8, offset);
        json.WriteString("epoch"u8, epoch);
    }
}
