using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Net.Http.Headers;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// What a session keeps of its request. Header and query values are the request's own strings (no
/// copies); they are kept in one compact array each, and the lower-case names of common headers come
/// from a table instead of being lower-cased per request. Values every handshake repeats (<c>EIO=4</c>,
/// <c>transport=websocket</c>, <c>Upgrade: websocket</c>, ...) are swapped for one shared string each: an idle
/// session keeps its request for its whole life, and those copies were ~200 bytes of it (docs/performance.md, S1).
/// </summary>
internal static class EngineRequestFactory
{
    private static readonly FrozenDictionary<string, string> LowerCaseNames = new[]
    {
        HeaderNames.Accept, HeaderNames.AcceptEncoding, HeaderNames.AcceptLanguage, HeaderNames.Authorization,
        HeaderNames.CacheControl, HeaderNames.Connection, HeaderNames.ContentLength, HeaderNames.ContentType,
        HeaderNames.Cookie, HeaderNames.Host, HeaderNames.Origin, HeaderNames.Pragma, HeaderNames.Referer,
        HeaderNames.SecWebSocketExtensions, HeaderNames.SecWebSocketKey, HeaderNames.SecWebSocketProtocol,
        HeaderNames.SecWebSocketVersion, HeaderNames.Upgrade, HeaderNames.UserAgent, "X-Forwarded-For",
        "X-Forwarded-Host", "X-Forwarded-Proto", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site",
    }.ToFrozenDictionary(name => name, name => name.ToLowerInvariant(), StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string> CommonValues = new[]
    {
        "EIO", "3", "4", "transport", "websocket", "polling", "t", "b64", "Upgrade", "upgrade", "keep-alive",
        "Keep-Alive", "13", "permessage-deflate; client_max_window_bits", "permessage-deflate", "no-cache",
        "*/*", "gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd", "http", "https", "websocket, Upgrade",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The shared copy of a value every handshake repeats, or <paramref name="value"/> itself.</summary>
    internal static string Shared(string value) => CommonValues.TryGetValue(value, out var shared) ? shared : value;

    /// <summary>The request of a handshake the direct mode answered (docs/decisions/0015-own-the-connection.md).</summary>
    public static EngineRequest Create(Protocols.WebSockets.WebSocketHandshakeRequest request, System.Net.IPAddress? remote, bool secure, TimeProvider time)
    {
        var parsed = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.Query.ToString());
        var query = new KeyValuePair<string, string>[parsed.Count];
        var i = 0;
        foreach (var (key, value) in parsed)
        {
            query[i++] = new(Shared(key), Shared(value.ToString()));
        }
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in request.Headers)
        {
            var name = LowerCaseNames.GetValueOrDefault(key) ?? key.ToLowerInvariant();
            headers[name] = headers.TryGetValue(name, out var earlier) ? earlier + ", " + value : Shared(value);
        }
        return new EngineRequest(
            request.Target,
            query.Length == 0 ? CompactDictionary.EmptyOrdinal : new CompactDictionary(query, StringComparer.Ordinal),
            new CompactDictionary([.. headers], StringComparer.OrdinalIgnoreCase),
            remote,
            secure,
            time.GetUtcNow());
    }

    public static EngineRequest Create(HttpContext context, TimeProvider time)
    {
        var request = context.Request;
        var query = new KeyValuePair<string, string>[request.Query.Count];
        var i = 0;
        foreach (var (key, value) in request.Query)
        {
            query[i++] = new(Shared(key), Shared(value.ToString()));
        }
        var headers = new KeyValuePair<string, string>[request.Headers.Count];
        i = 0;
        foreach (var (key, value) in request.Headers)
        {
            headers[i++] = new(LowerCaseNames.GetValueOrDefault(key) ?? key.ToLowerInvariant(), Shared(value.ToString()));
        }
        return new EngineRequest(
            request.GetEncodedPathAndQuery(),
            query.Length == 0 ? CompactDictionary.EmptyOrdinal : new CompactDictionary(query, StringComparer.Ordinal),
            new CompactDictionary(headers, StringComparer.OrdinalIgnoreCase),
            context.Connection.RemoteIpAddress,
            request.IsHttps,
            time.GetUtcNow());
    }
}
