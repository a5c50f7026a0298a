using System.Text;
using System.Text.Json;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Locates the parts of an event's JSON array (<c>["name", arg1, arg2]</c>) without materialising it:
/// the event name, and the raw text of the arguments that follow it, so they can be read lazily or
/// forwarded byte for byte.
/// </summary>
public static class SocketEventData
{
    /// <summary>
    /// Splits a validated JSON array. <paramref name="argsStart"/>..<paramref name="argsEnd"/> is the raw
    /// text of the elements after the first, without the brackets (empty when there are none).
    /// With <paramref name="hasName"/> false (acks), every element is an argument.
    /// </summary>
    public static bool TrySplit(ReadOnlySpan<byte> array, bool hasName, out string? name, out int argsStart, out int argsEnd)
    {
        name = null;
        argsStart = argsEnd = 0;
        var reader = new Utf8JsonReader(array, JsonLimits.ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return false;
            }
            argsStart = (int)reader.BytesConsumed;
            if (hasName)
            {
                if (!reader.Read())
                {
                    return false;
                }
                name = reader.TokenType switch
                {
                    JsonTokenType.String => reader.GetString(),
                    JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                    _ => null,
                };
                if (name is null)
                {
                    return false;
                }
                argsStart = (int)reader.BytesConsumed;
            }
            var first = true;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == 0)
                {
                    argsEnd = (int)reader.TokenStartIndex;
                    if (first)
                    {
                        argsStart = argsEnd;
                    }
                    return true;
                }
                if (first)
                {
                    // The argument text starts at the first element, after any separating comma.
                    argsStart = (int)reader.TokenStartIndex;
                    first = false;
                }
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // A name that is not UTF-8: the reader validates JSON, not the bytes inside strings.
            return false;
        }
    }
}
