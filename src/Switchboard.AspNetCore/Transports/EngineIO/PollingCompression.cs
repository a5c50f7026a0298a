using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// engine.io's <c>httpCompression</c> for long-polling responses: a body of at least the threshold is
/// gzip- or deflate-encoded (RFC 9110 §8.4.1: deflate is the zlib format) when the request's
/// <c>Accept-Encoding</c> allows one of them; br is not offered, as in engine.io.
/// </summary>
internal static class PollingCompression
{
    public const string Gzip = "gzip";
    public const string Deflate = "deflate";

    /// <summary>
    /// The encoding to use: the one of gzip and deflate the client rates highest (an explicit name over
    /// <c>*</c>; q=0 refuses), gzip on a tie; null for none.
    /// </summary>
    public static string? Choose(StringValues acceptEncoding)
    {
        var values = new List<StringWithQualityHeaderValue>();
        foreach (var header in acceptEncoding)
        {
            foreach (var item in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (StringWithQualityHeaderValue.TryParse(item, out var value))
                {
                    values.Add(value);
                }
            }
        }
        var gzip = Quality(values, Gzip);
        var deflate = Quality(values, Deflate);
        if (gzip <= 0 && deflate <= 0)
        {
            return null;
        }
        return gzip >= deflate ? Gzip : Deflate;
    }

    private static double Quality(IList<StringWithQualityHeaderValue> values, string encoding)
    {
        double? exact = null, any = null;
        foreach (var value in values)
        {
            var q = value.Quality ?? 1;
            if (value.Value.Equals(encoding, StringComparison.OrdinalIgnoreCase))
            {
                exact = Math.Max(exact ?? 0, q);
            }
            else if (value.Value == "*")
            {
                any = Math.Max(any ?? 0, q);
            }
        }
        return exact ?? any ?? 0;
    }

    /// <summary>
    /// The body to write: compressed (and Content-Encoding set) when the options, its size and the
    /// request allow it, else the body itself.
    /// </summary>
    public static ReadOnlyMemory<byte> Apply(HttpContext context, HttpCompressionOptions options, ReadOnlyMemory<byte> body)
    {
        if (!options.Enabled || body.Length < options.Threshold || StringValues.IsNullOrEmpty(context.Request.Headers.AcceptEncoding)
            || Choose(context.Request.Headers.AcceptEncoding) is not { } encoding)
        {
            return body;
        }
        var output = new MemoryStream(Math.Max(256, body.Length / 4));
        using (Stream compressor = encoding == Gzip
            ? new GZipStream(output, options.Level, leaveOpen: true)
            : new ZLibStream(output, options.Level, leaveOpen: true))
        {
            compressor.Write(body.Span);
        }
        context.Response.Headers.ContentEncoding = encoding;
        return output.GetBuffer().AsMemory(0, (int)output.Length);
    }
}
