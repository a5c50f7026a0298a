using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Switchboard.Client.Channels;

/// <summary>
/// The SSE / long-poll cursor (docs/protocols/sse.md, "The cursor"): <c>v1</c>, then per channel, in the
/// request's order, <c>~offset.epoch</c>, or <c>~offset..base64url(epoch)</c> for an epoch outside
/// <c>[A-Za-z0-9_-]</c>. Written here from the document; the server's codec is in Switchboard.AspNetCore.
/// </summary>
internal static class ChannelCursorCodec
{
    public static string Format(IEnumerable<ChannelPosition> positions)
    {
        var text = new StringBuilder("v1");
        foreach (var (offset, epoch) in positions)
        {
            text.Append('~').Append(offset.ToString(CultureInfo.InvariantCulture)).Append('.');
            if (epoch.Length > 0 && epoch.All(IsUrlSafe))
            {
                text.Append(epoch);
            }
            else
            {
                text.Append('.').Append(Base64Url.EncodeToString(Encoding.UTF8.GetBytes(epoch)));
            }
        }
        return text.ToString();
    }

    /// <summary>The positions of a cursor, or null when it is not one.</summary>
    public static ChannelPosition[]? TryParse(string? cursor)
    {
        if (cursor is null)
        {
            return null;
        }
        var parts = cursor.Split('~');
        if (parts.Length < 2 || parts[0] != "v1")
        {
            return null;
        }
        var positions = new ChannelPosition[parts.Length - 1];
        for (var i = 1; i < parts.Length; i++)
        {
            var segment = parts[i];
            var dot = segment.IndexOf('.', StringComparison.Ordinal);
            if (dot < 1 || dot > 18 || !segment.AsSpan(0, dot).ContainsOnlyDigits()
                || !long.TryParse(segment.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                return null;
            }
            var epoch = segment[(dot + 1)..];
            if (epoch.StartsWith('.'))
            {
                try
                {
                    epoch = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(epoch.AsSpan(1)));
                }
                catch (FormatException)
                {
                    return null;
                }
            }
            if (epoch.Length == 0)
            {
                return null;
            }
            positions[i - 1] = new ChannelPosition(offset, epoch);
        }
        return positions;
    }

    private static bool IsUrlSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private static bool ContainsOnlyDigits(this ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return span.Length > 0;
    }
}
