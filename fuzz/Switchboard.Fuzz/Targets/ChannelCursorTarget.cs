using System.Text;
using Switchboard.AspNetCore.Shared;
using Switchboard.Protocols.Channels;
using static Switchboard.Fuzz.FuzzCheckException;

namespace Switchboard.Fuzz.Targets;

/// <summary>The SSE / long-poll cursor: the first byte picks the number of channels (1 to 8), the rest is the cursor's text.</summary>
internal static class ChannelCursorTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }
        var channels = 1 + input[0] % 8;
        var text = Encoding.UTF8.GetString(input[1..]);
        if (!ChannelCursor.TryParse(text, channels, out var positions))
        {
            Check(positions.Length == 0, "a refused cursor with positions");
            return;
        }
        Check(positions.Length == channels, "a cursor with another number of positions");
        var formatted = ChannelCursor.Format(positions);
        Check(formatted == Uri.EscapeDataString(formatted), "a formatted cursor needs escaping");
        Check(ChannelCursor.TryParse(formatted, channels, out var again) && again.AsSpan().SequenceEqual(positions),
            "a cursor formatted from parsed positions does not parse to them");
    }
}
