using System.Text.Json;

namespace Switchboard.Protocols;

/// <summary>
/// Limits on the JSON a client sends, the same for every protocol: Socket.IO packets (CONNECT auth,
/// events, acks), plain WebSocket frames, HTTP API and long-poll bodies. A validator and the parser
/// after it use the same limit, so nothing a validator accepts can fail to parse later.
/// </summary>
public static class JsonLimits
{
    /// <summary>
    /// How deeply one client message (the whole packet array, frame or body) may nest: System.Text.Json's
    /// own default, so <see cref="JsonDocument"/> and the serializer agree with the validators.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>Reader options with <see cref="MaxDepth"/>.</summary>
    public static JsonReaderOptions ReaderOptions => new() { MaxDepth = MaxDepth };

    /// <summary><see cref="JsonDocument"/> options with <see cref="MaxDepth"/>.</summary>
    public static JsonDocumentOptions DocumentOptions => new() { MaxDepth = MaxDepth };

    /// <summary>
    /// Whether the brackets of <paramref name="json"/> (outside strings) nest deeper than
    /// <see cref="MaxDepth"/>: tells a refusal for depth from one for malformed JSON after a reader threw.
    /// </summary>
    public static bool IsTooDeep(ReadOnlySpan<byte> json)
    {
        var depth = 0;
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var b = json[i];
            if (inString)
            {
                if (b == (byte)'\\')
                {
                    i++;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b == (byte)'"')
            {
                inString = true;
            }
            else if (b is (byte)'[' or (byte)'{')
            {
                if (++depth > MaxDepth)
                {
                    return true;
                }
            }
            else if (b is (byte)']' or (byte)'}')
            {
                depth--;
            }
        }
        return false;
    }
}
