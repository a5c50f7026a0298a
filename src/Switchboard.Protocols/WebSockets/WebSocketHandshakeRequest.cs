using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Protocols.WebSockets;

/// <summary>What reading the head of an HTTP/1.1 request found.</summary>
public enum HttpRequestHeadRead
{
    /// <summary>Not all there yet: nothing was consumed.</summary>
    Incomplete,

    /// <summary>The request line and the headers, up to the empty line.</summary>
    Complete,

    /// <summary>The head passes the size limit.</summary>
    TooLarge,

    /// <summary>Not an HTTP/1.1 request head this parser takes (left to a full HTTP server to answer).</summary>
    Unrecognized,
}

/// <summary>
/// The head of an HTTP/1.1 request, as far as a WebSocket opening handshake (RFC 6455 §4.2.1) needs it:
/// the method, the request target and the header fields. The parser is strict and small on purpose:
/// anything it does not take plainly (obsolete line folding, bytes outside visible ASCII, a version other
/// than HTTP/1.1) is <see cref="HttpRequestHeadRead.Unrecognized"/>, for a full HTTP server to answer.
/// </summary>
public sealed class WebSocketHandshakeRequest
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private WebSocketHandshakeRequest(string method, string target, KeyValuePair<string, string>[] headers)
    {
        Method = method;
        Target = target;
        Headers = headers;
    }

    /// <summary>The method (<c>GET</c> for a handshake).</summary>
    public string Method { get; }

    /// <summary>The request target as sent: the path and the query.</summary>
    public string Target { get; }

    /// <summary>The path part of <see cref="Target"/>.</summary>
    public ReadOnlySpan<char> Path => Target.AsSpan(0, Target.IndexOf('?') is var q and >= 0 ? q : Target.Length);

    /// <summary>The query part of <see cref="Target"/>, without its <c>?</c> (empty without one).</summary>
    public ReadOnlySpan<char> Query => Target.IndexOf('?') is var q and >= 0 ? Target.AsSpan(q + 1) : [];

    /// <summary>The header fields in order, names as sent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The value of the one header <paramref name="name"/>; null when absent; values of repeats joined with <c>, </c>.</summary>
    public string? Header(string name)
    {
        string? value = null;
        foreach (var (key, v) in Headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = value is null ? v : value + ", " + v;
            }
        }
        return value;
    }

    /// <summary>Whether the header's comma-separated tokens include <paramref name="token"/> (case-insensitive).</summary>
    public bool HeaderHasToken(string name, string token)
    {
        var value = Header(name);
        if (value is null)
        {
            return false;
        }
        foreach (var range in value.AsSpan().Split(','))
        {
            if (value.AsSpan(range).Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Whether this is a WebSocket opening handshake a server may accept (§4.2.1): GET, <c>Upgrade: websocket</c>,
    /// <c>Connection: Upgrade</c>, version 13 and a key of 16 bytes in base64; <paramref name="key"/> is the key.
    /// </summary>
    public bool IsWebSocketHandshake(out string key)
    {
        key = Header("Sec-WebSocket-Key")?.Trim() ?? "";
        return Method == "GET"
            && HeaderHasToken("Upgrade", "websocket")
            && HeaderHasToken("Connection", "Upgrade")
            && Header("Sec-WebSocket-Version")?.Trim() == "13"
            && IsValidKey(key);
    }

    /// <summary>Reads the head of a request from the start of <paramref name="buffer"/>, up to <paramref name="maxBytes"/>.</summary>
    public static HttpRequestHeadRead TryRead(ReadOnlySequence<byte> buffer, int maxBytes, out WebSocketHandshakeRequest? request, out long consumed)
    {
        request = null;
        consumed = 0;
        var reader = new SequenceReader<byte>(buffer.Length > maxBytes ? buffer.Slice(0, maxBytes) : buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8, advancePastDelimiter: true))
        {
            return buffer.Length >= maxBytes ? HttpRequestHeadRead.TooLarge : HttpRequestHeadRead.Incomplete;
        }
        var length = (int)reader.Consumed;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(rented);
            request = Parse(rented.AsSpan(0, length - 2));
            consumed = length;
            return request is null ? HttpRequestHeadRead.Unrecognized : HttpRequestHeadRead.Complete;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The lines of a head, each ending in CRLF (the empty line's excluded).</summary>
    private static WebSocketHandshakeRequest? Parse(ReadOnlySpan<byte> head)
    {
        var end = head.IndexOf("\r\n"u8);
        var line = head[..end];
        var space = line.IndexOf((byte)' ');
        var last = line.LastIndexOf((byte)' ');
        if (space <= 0 || last == space || !line[(last + 1)..].SequenceEqual("HTTP/1.1"u8) || !IsVisibleAscii(line[..last]))
        {
            return null;
        }
        var method = Encoding.ASCII.GetString(line[..space]);
        var target = Encoding.ASCII.GetString(line[(space + 1)..last]);
        if (target.Length == 0 || target[0] != '/' || target.Contains(' '))
        {
            return null;
        }
        var headers = new List<KeyValuePair<string, string>>();
        var rest = head[(end + 2)..];
        while (!rest.IsEmpty)
        {
            end = rest.IndexOf("\r\n"u8);
            line = rest[..end];
            rest = rest[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[0] is (byte)' ' or (byte)'\t')
            {
                return null;
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (name.IndexOfAny(" \t"u8) >= 0 || !IsVisibleAscii(name) || !IsFieldValue(value))
            {
                return null;
            }
            headers.Add(new(Encoding.ASCII.GetString(name), Encoding.ASCII.GetString(value)));
        }
        return new WebSocketHandshakeRequest(method, target, [.. headers]);
    }

    private static bool IsVisibleAscii(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E);

    private static bool IsFieldValue(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((>= 0x20 and <= 0x7E) or (byte)'\t'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The key must be 16 bytes in base64 (§4.2.1).</summary>
    public static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }

    /// <summary>The <c>Sec-WebSocket-Accept</c> value for a key: base64 of the SHA-1 of the key and the protocol's GUID.</summary>
    public static string AcceptKey(string key)
    {
        Span<byte> input = stackalloc byte[Encoding.ASCII.GetByteCount(key) + AcceptGuid.Length];
        var written = Encoding.ASCII.GetBytes(key, input);
        Encoding.ASCII.GetBytes(AcceptGuid, input[written..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input, hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>Writes the server's <c>101 Switching Protocols</c> answer, with any further header lines (each ending in CRLF).</summary>
    public static void WriteAccept(IBufferWriter<byte> writer, string key, string? extraHeaderLines = null)
    {
        var text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
            + AcceptKey(key) + "\r\n" + extraHeaderLines + "\r\n";
        var span = writer.GetSpan(text.Length);
        var length = Encoding.ASCII.GetBytes(text, span);
        writer.Advance(length);
    }
}
