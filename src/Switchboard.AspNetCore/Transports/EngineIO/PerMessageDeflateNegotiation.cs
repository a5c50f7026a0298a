using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Primitives;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// The server's side of permessage-deflate negotiation (RFC 7692 §5, §7.1) for the WebSockets that
/// <see cref="WebSocketAcceptor"/> accepts itself: reads the client's offers from
/// <c>Sec-WebSocket-Extensions</c>, accepts the first one the server can honour, and gives the response
/// header and the settings for <see cref="WebSocketCreationOptions.DangerousDeflateOptions"/>. Pure: no I/O.
/// </summary>
internal static class PerMessageDeflateNegotiation
{
    private const string Name = "permessage-deflate";

    /// <summary>
    /// False when no offer is acceptable (none made, or each one malformed or asking for what .NET
    /// cannot do, such as an 8-bit server window): the connection then goes uncompressed, as RFC 7692
    /// has a server decline an offer it cannot accept.
    /// </summary>
    public static bool TryNegotiate(StringValues header, PerMessageDeflateOptions options, out WebSocketDeflateOptions deflate, out string response)
    {
        foreach (var value in header)
        {
            foreach (var offer in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryAccept(offer, options, out deflate!, out response!))
                {
                    return true;
                }
            }
        }
        deflate = null!;
        response = null!;
        return false;
    }

    private static bool TryAccept(string offer, PerMessageDeflateOptions options, out WebSocketDeflateOptions? deflate, out string? response)
    {
        deflate = null;
        response = null;
        var parts = offer.Split(';', StringSplitOptions.TrimEntries);
        if (!parts[0].Equals(Name, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        bool serverNoContext = false, clientNoContext = false, clientBitsOffered = false;
        int? serverBits = null, clientBits = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 1; i < parts.Length; i++)
        {
            var (name, value) = SplitParameter(parts[i]);
            // A parameter twice, an unknown one, or a bad value: this offer is declined (RFC 7692 §7).
            if (name.Length == 0 || !seen.Add(name))
            {
                return false;
            }
            switch (name.ToLowerInvariant())
            {
                case "server_no_context_takeover" when value is null:
                    serverNoContext = true;
                    break;
                case "client_no_context_takeover" when value is null:
                    clientNoContext = true;
                    break;
                case "server_max_window_bits" when TryParseBits(value, out var bits):
                    serverBits = bits;
                    break;
                case "client_max_window_bits" when value is null:
                    clientBitsOffered = true;
                    break;
                case "client_max_window_bits" when TryParseBits(value, out var bits):
                    clientBitsOffered = true;
                    clientBits = bits;
                    break;
                default:
                    return false;
            }
        }
        // zlib cannot compress with an 8-bit window (it silently uses 9): decline rather than break the promise.
        if (serverBits < 9)
        {
            return false;
        }
        var windowBits = Math.Min(options.ServerMaxWindowBits, serverBits ?? 15);
        serverNoContext |= options.DisableServerContextTakeover;
        deflate = new WebSocketDeflateOptions
        {
            // A larger window inflates whatever a smaller one produced.
            ClientMaxWindowBits = Math.Max(9, clientBits ?? 15),
            ClientContextTakeover = !clientNoContext,
            ServerMaxWindowBits = windowBits,
            ServerContextTakeover = !serverNoContext,
        };
        var text = new StringBuilder(Name);
        if (serverNoContext)
        {
            text.Append("; server_no_context_takeover");
        }
        if (clientNoContext)
        {
            text.Append("; client_no_context_takeover");
        }
        if (serverBits is not null || windowBits < 15)
        {
            text.Append("; server_max_window_bits=").Append(windowBits);
        }
        // Only answered when offered (§7.1.2.2); its value, if the client named one, is confirmed as is.
        if (clientBitsOffered && clientBits is { } confirmed)
        {
            text.Append("; client_max_window_bits=").Append(confirmed);
        }
        response = text.ToString();
        return true;
    }

    private static (string Name, string? Value) SplitParameter(string parameter)
    {
        var equals = parameter.IndexOf('=');
        if (equals < 0)
        {
            return (parameter, null);
        }
        var value = parameter[(equals + 1)..].Trim();
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }
        return (parameter[..equals].Trim(), value);
    }

    /// <summary>A window size: 1*DIGIT from 8 to 15 (§7.1.2.1), no sign, no leading zero.</summary>
    private static bool TryParseBits(string? value, out int bits)
    {
        bits = 0;
        if (value is not { Length: 1 or 2 } || value[0] == '0' || !value.All(char.IsAsciiDigit))
        {
            return false;
        }
        bits = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        return bits is >= 8 and <= 15;
    }
}
