using System.IO.Compression;

namespace Switchboard.Engine;

/// <summary>
/// Compression of HTTP long-polling responses, as engine.io's <c>httpCompression</c>: a response body of
/// at least <see cref="Threshold"/> bytes is sent gzip- or deflate-encoded when the request's
/// <c>Accept-Encoding</c> allows it. On by default, as in Node.
/// </summary>
public sealed class HttpCompressionOptions
{
    /// <summary>Whether polling responses may be compressed. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Bodies shorter than this many bytes are sent as they are. Default 1024, engine.io's.</summary>
    public int Threshold { get; set; } = 1024;

    /// <summary>
    /// How hard to compress. Default <see cref="CompressionLevel.Fastest"/>: polling bodies are JSON that
    /// compresses well at the lowest level, and a poll answers on the request's thread (Node uses zlib's
    /// default, level 6; docs/engine.md compares them).
    /// </summary>
    public CompressionLevel Level { get; set; } = CompressionLevel.Fastest;

    internal void Validate() => ArgumentOutOfRangeException.ThrowIfNegative(Threshold, "HttpCompression.Threshold");
}
