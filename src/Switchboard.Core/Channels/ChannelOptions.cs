namespace Switchboard.Channels;

/// <summary>How much history a channel keeps: at most <see cref="Size"/> publications, none older than <see cref="Ttl"/>.</summary>
public sealed class HistoryPolicy
{
    public int Size { get; set; } = 100;

    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>A history policy for the channels whose name matches <see cref="Pattern"/> (<c>*</c> any run of characters, <c>?</c> one).</summary>
public sealed class ChannelHistoryRule
{
    public string Pattern { get; set; } = "*";

    public int Size { get; set; } = 100;

    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    internal HistoryPolicy Policy => new() { Size = Size, Ttl = Ttl };
}

/// <summary>Channel settings: history per channel name pattern (first match wins), and the default.</summary>
public sealed class ChannelOptions
{
    public HistoryPolicy DefaultHistory { get; } = new();

    public List<ChannelHistoryRule> History { get; } = [];

    public HistoryPolicy PolicyFor(string channel)
    {
        foreach (var rule in History)
        {
            if (ChannelPattern.IsMatch(rule.Pattern, channel))
            {
                return rule.Policy;
            }
        }
        return DefaultHistory;
    }
}

/// <summary>Glob matching for channel names: <c>*</c> matches any run of characters, <c>?</c> one character.</summary>
public static class ChannelPattern
{
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == name[n]))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }
}
