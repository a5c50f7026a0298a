using System.Text.Json;

namespace Switchboard.Protocols.Plain;

/// <summary>
/// Reads one client frame of the plain WebSocket protocol (docs/protocols/websocket.md): a JSON object
/// with an <c>op</c>, an optional <c>id</c> and the fields of that op. Fields it does not know are
/// skipped. A refusal says what is wrong and carries the request's id when one could be read.
/// </summary>
public static class PlainRequestReader
{
    /// <summary>The longest <c>id</c> accepted, in bytes of its JSON text.</summary>
    public const int MaxIdLength = 128;

    /// <summary>How deeply the frame (its <c>data</c> included) may nest: the one limit of every protocol.</summary>
    public const int MaxDepth = JsonLimits.MaxDepth;

    private static readonly string[] ReservedEvents =
        ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

    /// <summary>Reads one frame; false with <paramref name="error"/> set when it is not a valid request.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> message, out PlainRequest request, out PlainError error)
    {
        request = default;
        var fields = new Fields();
        try
        {
            var reader = new Utf8JsonReader(message.Span, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = new PlainError(PlainErrorCode.BadRequest, "a frame must be a JSON object");
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                ReadField(ref reader, message, ref fields);
            }
            // Anything after the object is malformed JSON: the reader throws.
            reader.Read();
        }
        catch (JsonException ex)
        {
            error = new PlainError(PlainErrorCode.BadRequest, "malformed JSON: " + OneLine(ex.Message), fields.Id);
            return false;
        }
        catch (InvalidOperationException)
        {
            // A string that cannot be transcoded (invalid UTF-8 or escapes).
            error = new PlainError(PlainErrorCode.BadRequest, "malformed JSON: invalid string", fields.Id);
            return false;
        }
        return Validate(in fields, out request, out error);
    }

    private static void ReadField(ref Utf8JsonReader reader, ReadOnlyMemory<byte> message, ref Fields fields)
    {
        if (reader.ValueTextEquals("id"u8))
        {
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType is JsonTokenType.Number or JsonTokenType.String && reader.BytesConsumed - start <= MaxIdLength)
            {
                fields.Id = message[start..(int)reader.BytesConsumed];
            }
            else
            {
                reader.Skip();
                fields.Fail($"'id' must be a number or a string of at most {MaxIdLength} bytes");
            }
        }
        else if (reader.ValueTextEquals("op"u8))
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                reader.Skip();
                fields.Fail("'op' must be a string");
            }
            else if (TryParseOp(ref reader, out var op))
            {
                fields.Op = op;
            }
            else
            {
                var name = reader.GetString()!;
                fields.UnknownOp = name.Length > 64 ? name[..64] + "…" : name;
            }
        }
        else if (reader.ValueTextEquals("channel"u8))
        {
            fields.Channel = ReadString(ref reader, ref fields, "channel");
        }
        else if (reader.ValueTextEquals("event"u8))
        {
            fields.Event = ReadString(ref reader, ref fields, "event");
        }
        else if (reader.ValueTextEquals("since"u8))
        {
            reader.Read();
            fields.Since = ReadPosition(ref reader, ref fields);
        }
        else if (reader.ValueTextEquals("data"u8))
        {
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            fields.Data = message[start..(int)reader.BytesConsumed];
        }
        else if (reader.ValueTextEquals("limit"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var limit) && limit >= 1)
            {
                fields.Limit = limit;
            }
            else
            {
                reader.Skip();
                fields.Fail("'limit' must be a positive integer");
            }
        }
        else if (reader.ValueTextEquals("echo"u8))
        {
            reader.Read();
            if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
            {
                fields.Echo = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                reader.Skip();
                fields.Fail("'echo' must be true or false");
            }
        }
        else
        {
            // Readers ignore fields they do not know.
            reader.Read();
            reader.Skip();
        }
    }

    private static bool TryParseOp(ref Utf8JsonReader reader, out PlainOp op)
    {
        if (reader.ValueTextEquals("subscribe"u8))
        {
            op = PlainOp.Subscribe;
        }
        else if (reader.ValueTextEquals("unsubscribe"u8))
        {
            op = PlainOp.Unsubscribe;
        }
        else if (reader.ValueTextEquals("publish"u8))
        {
            op = PlainOp.Publish;
        }
        else if (reader.ValueTextEquals("history"u8))
        {
            op = PlainOp.History;
        }
        else if (reader.ValueTextEquals("presence"u8))
        {
            op = PlainOp.Presence;
        }
        else if (reader.ValueTextEquals("ping"u8))
        {
            op = PlainOp.Ping;
        }
        else
        {
            op = default;
            return false;
        }
        return true;
    }

    private static string? ReadString(ref Utf8JsonReader reader, ref Fields fields, string name)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }
        reader.Skip();
        fields.Fail($"'{name}' must be a string");
        return null;
    }

    /// <summary>Reads <c>{"offset":N,"epoch":"..."}</c>; <c>null</c> means no position.</summary>
    private static PlainPosition? ReadPosition(ref Utf8JsonReader reader, ref Fields fields)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            fields.Fail("'since' must be an object {\"offset\":N,\"epoch\":\"...\"}");
            return null;
        }
        long? offset = null;
        string? epoch = null;
        var valid = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("offset"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0)
                {
                    offset = value;
                }
                else
                {
                    reader.Skip();
                    valid = false;
                }
            }
            else if (reader.ValueTextEquals("epoch"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    epoch = reader.GetString();
                }
                else
                {
                    reader.Skip();
                    valid = false;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (!valid || offset is null || string.IsNullOrEmpty(epoch))
        {
            fields.Fail("'since' needs 'offset' (a non-negative integer) and 'epoch' (a non-empty string)");
            return null;
        }
        return new PlainPosition(offset.Value, epoch);
    }

    private static bool Validate(in Fields fields, out PlainRequest request, out PlainError error)
    {
        request = default;
        if (fields.Problem is { } problem)
        {
            error = new PlainError(PlainErrorCode.BadRequest, problem, fields.Id);
            return false;
        }
        if (fields.UnknownOp is { } unknown)
        {
            error = new PlainError(PlainErrorCode.UnknownOp, $"unknown op '{unknown}'", fields.Id);
            return false;
        }
        if (fields.Op is not { } op)
        {
            error = new PlainError(PlainErrorCode.BadRequest, "missing 'op'", fields.Id);
            return false;
        }
        if (op != PlainOp.Ping && string.IsNullOrEmpty(fields.Channel))
        {
            error = new PlainError(PlainErrorCode.BadRequest, $"'{Name(op)}' needs a non-empty 'channel'", fields.Id);
            return false;
        }
        var eventName = fields.Event;
        if (op == PlainOp.Publish)
        {
            eventName ??= PlainProtocol.DefaultEvent;
            if (eventName.Length == 0 || Array.IndexOf(ReservedEvents, eventName) >= 0)
            {
                error = new PlainError(PlainErrorCode.BadRequest, $"'event' must be a non-empty name other than {string.Join(", ", ReservedEvents)}", fields.Id);
                return false;
            }
        }
        request = new PlainRequest(op, fields.Id, fields.Channel, fields.Since, eventName, fields.Data, fields.Limit, fields.Echo);
        error = default;
        return true;
    }

    /// <summary>The op's name on the wire.</summary>
    public static string Name(PlainOp op) => op switch
    {
        PlainOp.Subscribe => "subscribe",
        PlainOp.Unsubscribe => "unsubscribe",
        PlainOp.Publish => "publish",
        PlainOp.History => "history",
        PlainOp.Presence => "presence",
        PlainOp.Ping => "ping",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    /// <summary>The reader's message on one line; its " LineNumber: 0 | BytePositionInLine: 7." part locates the fault.</summary>
    private static string OneLine(string message) => message.Replace('\r', ' ').Replace('\n', ' ');

    /// <summary>What was read so far; the first problem found wins.</summary>
    private struct Fields
    {
        public ReadOnlyMemory<byte> Id;
        public PlainOp? Op;
        public string? UnknownOp;
        public string? Channel;
        public string? Event;
        public PlainPosition? Since;
        public ReadOnlyMemory<byte> Data;
        public int? Limit;
        public bool Echo;
        public string? Problem;

        public Fields()
        {
            Echo = true;
        }

        public void Fail(string problem) => Problem ??= problem;
    }
}
