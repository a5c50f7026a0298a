using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Strings as JavaScript has them: a lone surrogate (<c>"\ud800"</c>, legal in a JavaScript string and
/// in JSON text) reads into a .NET string as it is, where System.Text.Json refuses it, and is written back
/// escaped, where System.Text.Json would replace it with U+FFFD. Every other string takes the usual path.
/// </summary>
internal sealed class JavaScriptStringConverter : JsonConverter<string>
{
    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            // As the built-in converter: a string is wanted.
            throw new JsonException($"Expected a string, found {reader.TokenType}.");
        }
        if (!reader.ValueIsEscaped)
        {
            return reader.GetString();
        }
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate: unescape by hand, keeping it.
            return Unescape(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan);
        }
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        if (value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') < 0 || !HasLoneSurrogate(value))
        {
            writer.WriteStringValue(value);
            return;
        }
        writer.WriteRawValue(EscapeKeepingSurrogates(value), skipInputValidation: true);
    }

    private static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A JSON string literal of <paramref name="value"/>, surrogates (paired or not) as <c>\uXXXX</c>.</summary>
    private static string EscapeKeepingSurrogates(string value)
    {
        var text = new StringBuilder(value.Length + 16).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                default:
                    if (c < ' ' || char.IsSurrogate(c))
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }
                    break;
            }
        }
        return text.Append('"').ToString();
    }

    /// <summary>Unescapes the UTF-8 bytes of a JSON string (without its quotes); <c>\uXXXX</c> may be any code unit.</summary>
    private static string Unescape(ReadOnlySpan<byte> escaped)
    {
        var text = new StringBuilder(escaped.Length);
        var i = 0;
        while (i < escaped.Length)
        {
            var next = escaped[i..].IndexOf((byte)'\\');
            var run = next < 0 ? escaped[i..] : escaped.Slice(i, next);
            text.Append(Encoding.UTF8.GetString(run));
            i += run.Length;
            if (next < 0)
            {
                break;
            }
            // The reader validated the escapes, so each is complete.
            var kind = (char)escaped[i + 1];
            if (kind == 'u')
            {
                text.Append((char)int.Parse(Encoding.ASCII.GetString(escaped.Slice(i + 2, 4)), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 6;
                continue;
            }
            text.Append(kind switch
            {
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'b' => '\b',
                'f' => '\f',
                _ => kind, // \" \\ \/
            });
            i += 2;
        }
        return text.ToString();
    }
}
