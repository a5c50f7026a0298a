namespace Switchboard.Engine;

/// <summary>
/// WebSocket compression (RFC 7692 permessage-deflate), as engine.io's <c>perMessageDeflate</c>: negotiated
/// when the client offers it and <see cref="Enabled"/> is set. Off by default, as in Node since engine.io 4:
/// each connection that keeps a compression context holds it for its lifetime (docs/engine.md has
/// the numbers).
/// </summary>
public sealed class PerMessageDeflateOptions
{
    /// <summary>Whether the server accepts a client's permessage-deflate offer. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Messages shorter than this many bytes are sent uncompressed (a frame flag, per message): deflate
    /// does not pay for itself on short ones. Default 1024, engine.io's.
    /// </summary>
    public int Threshold { get; set; } = 1024;

    /// <summary>
    /// The largest LZ77 window the server compresses with, as a power of two (9 to 15): a smaller window
    /// costs less memory and compresses less. A client may ask for a smaller one. Default 15.
    /// </summary>
    public int ServerMaxWindowBits { get; set; } = 15;

    /// <summary>
    /// Whether the server starts every message with a fresh compression context
    /// (<c>server_no_context_takeover</c>): it then holds no compressor between messages, at the price of a
    /// worse ratio on small, similar messages. Default false (the context is kept, as <c>ws</c> does).
    /// </summary>
    public bool DisableServerContextTakeover { get; set; }

    internal void Validate(string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Threshold, $"{name}.{nameof(Threshold)}");
        ArgumentOutOfRangeException.ThrowIfLessThan(ServerMaxWindowBits, 9, $"{name}.{nameof(ServerMaxWindowBits)}");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ServerMaxWindowBits, 15, $"{name}.{nameof(ServerMaxWindowBits)}");
    }

    /// <summary>
    /// The threshold a connection applies to its sends: messages shorter are flagged not to be compressed.
    /// Zero when compression is off (the flag means nothing on a connection that did not negotiate it).
    /// </summary>
    internal int SendThreshold => Enabled ? Threshold : 0;
}
