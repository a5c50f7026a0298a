using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Switchboard.Channels;

namespace Switchboard.Protocols.Channels;

/// <summary>
/// The cursor of a subscription to several channels: one position (offset + epoch) per channel, in the
/// order the request listed its channels. It is the SSE event id and the long-poll <c>cursor</c>.
/// Wire format (docs/protocols/sse.md, "The cursor"): <c>v1</c>, then for each channel <c>~</c> and a
/// segment <c>&lt;offset&gt;.&lt;epoch&gt;</c>, or <c>&lt;offset&gt;..&lt;base64url of the epoch's UTF-8&gt;</c> for an
/// epoch outside the URL-safe alphabet. Every character is URL-unreserved, so a cursor needs no escaping
/// in a query string or header. A pure codec: no I/O.
/// </summary>
public static class ChannelCursor
{
    /// <summary>The cursor format's version prefix.</summary>
    public const string Version = "v1";
    private const char SegmentSeparator = '~';
    private const char EpochMark = '.';
    private const int MaxOffsetDigits = 18;
    private static readonly SearchValues<char> UrlSafe = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    private const int MaxLongDigits = 20; // what a long can take when written, sign included
    private const int MaxEpochLength = 256;

    /// <summary>The cursor of the given positions, in the order the request listed its channels.</summary>
    public static string Format(ReadOnlySpan<StreamPosition> positions)
    {
        var length = MaxLength(positions);
        var rented = length > 512 ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            var bytes = rented is null ? stackalloc byte[length] : rented;
            return Encoding.ASCII.GetString(bytes[..Write(bytes, positions)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Writes the cursor as <see cref="Format"/> makes it, in ASCII, without making a string: an SSE stream writes one per event.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<StreamPosition> positions) =>
        output.Advance(Write(output.GetSpan(MaxLength(positions)), positions));

    /// <summary>At least the length of the cursor of <paramref name="positions"/> in bytes.</summary>
    public static int MaxLength(ReadOnlySpan<StreamPosition> positions)
    {
        var length = Version.Length;
        foreach (var position in positions)
        {
            length += 2 + MaxLongDigits + (IsUrlSafe(position.Epoch) ? position.Epoch.Length : 1 + Base64Url.GetEncodedLength(Encoding.UTF8.GetByteCount(position.Epoch)));
        }
        return length;
    }

    /// <summary>Writes the cursor into a span of at least <see cref="MaxLength"/> bytes; returns how many it wrote.</summary>
    public static int Write(Span<byte> span, ReadOnlySpan<StreamPosition> positions)
    {
        "v1"u8.CopyTo(span);
        var written = Version.Length;
        foreach (var position in positions)
        {
            span[written++] = (byte)SegmentSeparator;
            if (!Utf8Formatter.TryFormat(position.Offset, span[written..], out var digits))
            {
                throw new ArgumentOutOfRangeException(nameof(positions), "An offset does not fit a cursor.");
            }
            written += digits;
            span[written++] = (byte)EpochMark;
            if (IsUrlSafe(position.Epoch))
            {
                // The base64url alphabet is ASCII: one byte per character.
                written += Encoding.ASCII.GetBytes(position.Epoch, span[written..]);
            }
            else
            {
                span[written++] = (byte)EpochMark;
                written += Base64Url.EncodeToUtf8(Encoding.UTF8.GetBytes(position.Epoch), span[written..]);
            }
        }
        return written;
    }

    /// <summary>
    /// Parses a cursor made for exactly <paramref name="channelCount"/> channels. False for anything else:
    /// another version, another number of segments, a negative or non-decimal offset, an empty epoch.
    /// </summary>
    public static bool TryParse(string? text, int channelCount, out StreamPosition[] positions)
    {
        positions = [];
        if (string.IsNullOrEmpty(text) || channelCount <= 0 || !text.StartsWith(Version, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = text.AsSpan(Version.Length);
        var parsed = new StreamPosition[channelCount];
        for (var i = 0; i < channelCount; i++)
        {
            if (rest.IsEmpty || rest[0] != SegmentSeparator)
            {
                return false;
            }
            rest = rest[1..];
            var end = rest.IndexOf(SegmentSeparator);
            var segment = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[end..];
            if (!TryParseSegment(segment, out parsed[i]))
            {
                return false;
            }
        }
        if (!rest.IsEmpty)
        {
            return false;
        }
        positions = parsed;
        return true;
    }

    private static bool TryParseSegment(ReadOnlySpan<char> segment, out StreamPosition position)
    {
        position = default;
        var mark = segment.IndexOf(EpochMark);
        if (mark <= 0 || mark > MaxOffsetDigits || mark == segment.Length - 1 || segment.Length - mark > MaxEpochLength)
        {
            return false;
        }
        var digits = segment[..mark];
        if (digits.ContainsAnyExceptInRange('0', '9') || !long.TryParse(digits, System.Globalization.NumberStyles.None, null, out var offset))
        {
            return false;
        }
        var epoch = segment[(mark + 1)..];
        if (epoch[0] != EpochMark)
        {
            if (!IsUrlSafe(epoch))
            {
                return false;
            }
            position = new StreamPosition(offset, epoch.ToString());
            return true;
        }
        // A second mark: the epoch is base64url-encoded.
        epoch = epoch[1..];
        Span<byte> bytes = stackalloc byte[Base64Url.GetMaxDecodedLength(epoch.Length)];
        if (Base64Url.DecodeFromChars(epoch, bytes, out var consumed, out var written) != OperationStatus.Done || consumed != epoch.Length || written == 0)
        {
            return false;
        }
        try
        {
            position = new StreamPosition(offset, new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes[..written]));
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>True for a non-empty run of the base64url alphabet (what the in-memory store's epochs are made of).</summary>
    private static bool IsUrlSafe(ReadOnlySpan<char> epoch)
    {
        if (epoch.IsEmpty)
        {
            return false;
        }
        return !epoch.ContainsAnyExcept(UrlSafe);
    }
}
