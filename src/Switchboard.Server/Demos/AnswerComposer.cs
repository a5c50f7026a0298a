using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Server.Demos;

/// <summary>
/// Writes the token-stream demo's "AI" answer: deterministic text made from the prompt (the same prompt
/// always gives the same answer), cut into tokens the way a language model streams them: each word with
/// the whitespace before it, so the tokens joined are exactly the text.
/// </summary>
internal static partial class AnswerComposer
{
    private static readonly string[] s_openings =
    [
        "Good question.",
        "Here is how I would think about it.",
        "Let me walk through that step by step.",
        "There are a few angles to this.",
    ];

    private static readonly string[] s_middles =
    [
        "Every token you see was published to its own channel, one at a time, with an offset that only grows.",
        "The page reads them through an EventSource, which remembers the id of the last event it received.",
        "That id is a cursor: it names a position in each channel, not a time, so nothing depends on clocks.",
        "If the connection drops, the browser reconnects with that cursor and the server replays what was missed.",
        "Reloading the page works the same way, because the page keeps the cursor and the text in session storage.",
        "A position that can no longer be continued is reported as a discontinuity instead of a silent gap.",
        "History is bounded per channel, by size and by age, so a long-gone reader is told rather than flooded.",
        "Socket.IO rooms and these channels are one and the same, whatever protocol a subscriber speaks.",
    ];

    private static readonly string[] s_closings =
    [
        "Try reloading while I am still typing: I will pick up exactly where I was.",
        "Nothing is lost and nothing is repeated, which is the whole point.",
        "That is the short version; ask again for another take.",
    ];

    /// <summary>The answer to <paramref name="prompt"/>.</summary>
    public static string Compose(string prompt)
    {
        var hash = Fnv1a(prompt);
        var text = new StringBuilder();
        text.Append("You asked: \u201c").Append(prompt).Append("\u201d. ");
        text.Append(s_openings[hash % (uint)s_openings.Length]);
        // Three different middle sentences, picked and ordered by a generator seeded with the hash.
        var picked = new List<int>(3);
        for (var state = hash; picked.Count < 3; state = (state * 1103515245u) + 12345u)
        {
            var index = (int)((state >> 16) % (uint)s_middles.Length);
            if (!picked.Contains(index))
            {
                picked.Add(index);
                text.Append(' ').Append(s_middles[index]);
            }
        }
        text.Append(' ').Append(s_closings[(hash >> 24) % (uint)s_closings.Length]);
        return text.ToString();
    }

    /// <summary>Splits text into tokens: optional whitespace, then a run of non-whitespace.</summary>
    public static string[] Tokenize(string text) => [.. Token().Matches(text).Select(m => m.Value)];

    [GeneratedRegex(@"\s*\S+", RegexOptions.CultureInvariant)]
    private static partial Regex Token();

    /// <summary>FNV-1a over the UTF-8 bytes: stable across processes, unlike <see cref="string.GetHashCode()"/>.</summary>
    private static uint Fnv1a(string value)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            hash = (hash ^ b) * 16777619u;
        }
        return hash;
    }
}
