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

/// <summary>
/// Channel settings: history per channel name pattern (first match wins), and the default; the outbound
/// budget of every channel-protocol connection (SSE, plain WebSocket, long-poll), and what happens to a
/// subscriber that does not keep up, per channel name pattern.
/// </summary>
public sealed class ChannelOptions
{
    public HistoryPolicy DefaultHistory { get; } = new();

    public List<ChannelHistoryRule> History { get; } = [];

    /// <summary>
    /// The outbound byte budget of one channel-protocol connection: the most bytes (each queued message
    /// weighs its data plus 64) that may wait for a client that does not read. Past it, the channel's
    /// <see cref="SlowConsumers"/> policy applies (disconnect by default). What a subscription replays from
    /// history does not count against it (history is bounded by its own limits). Default 4 MiB.
    /// </summary>
    public long MaxQueuedBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// How long one write to a channel-protocol client may take before the client is taken for one that
    /// stopped reading: the connection is dropped, as a slow consumer. Default 10 s.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Slow-consumer policies per channel name pattern (first match wins); channels no rule matches use <see cref="SlowConsumerPolicy.Disconnect"/>.</summary>
    public List<SlowConsumerRule> SlowConsumers { get; } = [];

    internal SlowConsumerRule SlowConsumerRuleFor(string channel)
    {
        foreach (var rule in SlowConsumers)
        {
            if (ChannelPattern.IsMatch(rule.Pattern, channel))
            {
                return rule;
            }
        }
        return SlowConsumerRule.Default;
    }

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
