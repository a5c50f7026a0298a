using System.Text;
using System.Text.Json;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Parses the text form of a Socket.IO v5 packet
/// (<c>&lt;type&gt;[&lt;attachments&gt;-][&lt;namespace&gt;,][&lt;ack id&gt;][&lt;JSON&gt;]</c>), as described in
/// https://socket.io/docs/v4/socket-io-protocol/. The JSON is validated, and checked to have the shape its
/// packet type requires, but is not materialised.
/// </summary>
public static class SocketPacketReader
{
    private const int MaxAttachments = 1000;

    /// <summary>
    /// The error of a packet whose JSON nests deeper than <see cref="JsonLimits.MaxDepth"/>. The packet's
    /// type and namespace are still returned, so a CONNECT can be refused with a CONNECT_ERROR.
    /// </summary>
    public const string PayloadTooDeep = "payload nested too deeply";

    internal static readonly string[] ReservedEvents =
        ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

    /// <summary>Whether an event name is one Socket.IO keeps for itself (neither side may emit it).</summary>
    public static bool IsReservedEvent(string eventName) => Array.IndexOf(ReservedEvents, eventName) >= 0;

    /// <summary>Parses the text of one Socket.IO packet; false with <paramref name="error"/> set when it is malformed.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> text, out SocketPacket packet, out string? error)
    {
        packet = default;
        var span = text.Span;
        if (span.IsEmpty || span[0] < '0' || span[0] > '6')
        {
            error = "unknown packet type";
            return false;
        }
        var type = (SocketPacketType)(span[0] - '0');
        var i = 1;

        var attachments = 0;
        if (type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck)
        {
            var dash = span[i..].IndexOf((byte)'-');
            if (dash <= 0 || !TryParseNumber(span.Slice(i, dash), out var count) || count > MaxAttachments)
            {
                error = "illegal attachments";
                return false;
            }
            attachments = (int)count;
            i += dash + 1;
        }

        var nsp = "/";
        if (i < span.Length && span[i] == '/')
        {
            var comma = span[i..].IndexOf((byte)',');
            var end = comma < 0 ? span.Length : i + comma;
            nsp = Encoding.UTF8.GetString(span[i..end]);
            i = comma < 0 ? span.Length : end + 1;
        }

        var ackId = SocketPacket.NoAck;
        var digits = 0;
        while (i + digits < span.Length && span[i + digits] is >= (byte)'0' and <= (byte)'9')
        {
            digits++;
        }
        if (digits > 0)
        {
            if (!TryParseNumber(span.Slice(i, digits), out ackId))
            {
                error = "invalid ack id";
                return false;
            }
            i += digits;
        }

        var data = text[i..];
        var validity = CheckPayload(type, data.Span);
        if (validity != Validity.Valid)
        {
            if (validity == Validity.TooDeep)
            {
                packet = new SocketPacket(type, nsp, ackId, attachments, default);
                error = PayloadTooDeep;
                return false;
            }
            error = "invalid payload";
            return false;
        }
        packet = new SocketPacket(type, nsp, ackId, attachments, data);
        error = null;
        return true;
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty || digits.Length > 15)
        {
            return false;
        }
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            value = value * 10 + (b - '0');
        }
        return true;
    }

    private enum Validity
    {
        Valid,
        Invalid,
        TooDeep,
    }

    private static Validity CheckPayload(SocketPacketType type, ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return type is SocketPacketType.Connect or SocketPacketType.Disconnect ? Validity.Valid : Validity.Invalid;
        }
        if (type == SocketPacketType.Disconnect)
        {
            return Validity.Invalid;
        }
        var reader = new Utf8JsonReader(json, JsonLimits.ReaderOptions);
        try
        {
            if (!reader.Read())
            {
                return Validity.Invalid;
            }
            var first = reader.TokenType;
            var shapeOk = type switch
            {
                SocketPacketType.Connect => first == JsonTokenType.StartObject,
                SocketPacketType.ConnectError => first is JsonTokenType.StartObject or JsonTokenType.String,
                SocketPacketType.Ack or SocketPacketType.BinaryAck => first == JsonTokenType.StartArray,
                _ => first == JsonTokenType.StartArray && HasValidEventName(ref reader),
            };
            if (!shapeOk)
            {
                return Validity.Invalid;
            }
            reader = new Utf8JsonReader(json, JsonLimits.ReaderOptions);
            reader.Read();
            reader.Skip();
            return reader.Read() ? Validity.Invalid : Validity.Valid;
        }
        catch (JsonException)
        {
            return JsonLimits.IsTooDeep(json) ? Validity.TooDeep : Validity.Invalid;
        }
    }

    private static bool HasValidEventName(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            return false;
        }
        if (reader.TokenType == JsonTokenType.Number)
        {
            return true;
        }
        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }
        foreach (var reserved in ReservedEvents)
        {
            if (reader.ValueTextEquals(reserved))
            {
                return false;
            }
        }
        return true;
    }
}
