using System.Buffers.Text;
using System.Diagnostics;

namespace Switchboard.LoadGen.Measure;

/// <summary>
/// The 100-character payload every scenario sends: a JSON string <c>"@&lt;19-digit timestamp&gt;:xxx…"</c>.
/// The timestamp is the generator's <see cref="Stopwatch"/> reading when the message was sent; whatever
/// the protocol wraps around it, the receiver finds it after the first <c>@</c>.
/// </summary>
internal static class Payload
{
    public const int TextLength = 100;

    /// <summary>With its quotes.</summary>
    public const int JsonLength = TextLength + 2;

    public static int Write(Span<byte> destination, long timestamp)
    {
        destination[0] = (byte)'"';
        destination[1] = (byte)'@';
        var digits = destination.Slice(2, 19);
        var value = timestamp;
        for (var i = 18; i >= 0; i--)
        {
            digits[i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
        destination[21] = (byte)':';
        destination.Slice(22, TextLength - 21).Fill((byte)'x');
        destination[JsonLength - 1] = (byte)'"';
        return JsonLength;
    }

    public static bool TryReadTimestamp(ReadOnlySpan<byte> message, out long timestamp)
    {
        timestamp = 0;
        var at = message.IndexOf((byte)'@');
        return at >= 0 && message.Length >= at + 20 && Utf8Parser.TryParse(message.Slice(at + 1, 19), out timestamp, out var consumed) && consumed == 19;
    }

    /// <summary>Nanoseconds from <paramref name="timestamp"/> until now.</summary>
    public static long ElapsedNanoseconds(long timestamp) =>
        (long)((Stopwatch.GetTimestamp() - timestamp) * (1_000_000_000.0 / Stopwatch.Frequency));
}
