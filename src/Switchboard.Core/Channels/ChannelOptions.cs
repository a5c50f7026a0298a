namespace Switchboard.Channels;

/// <summary>
/// How much history a channel keeps: at most <see cref="Size"/> publications and <see cref="MaxBytes"/>
/// bytes of them, none older than <see cref="Ttl"/>.
/// </summary>
public sealed class HistoryPolicy
{
    /// <summary>The default of <see cref="MaxBytes"/>: 1 MiB.</summary>
    public const long DefaultMaxBytes = 1 << 20;

    /// <summary>The most publications kept. Default 100.</summary>
    public int Size { get; set; } = 100;

    /// <summary>How long a publication is kept. Default 5 minutes.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Bytes of publications kept (their payloads and a fixed overhead each, in memory); 0 or less: no byte cap. Default 1 MiB.</summary>
    public long MaxBytes { get; set; } = DefaultMaxBytes;
}

/// <summary>A history policy for the channels whose name matches <see cref="Pattern"/> (<c>*</c> any run of characters, <c>?</c> one).</summary>
public sealed class ChannelHistoryRule
{
    /// <summary>The channel names the rule applies to (<c>*</c> any run of characters, <c>?</c> one).</summary>
    public string Pattern { get; set; } = "*";

    /// <summary>The most publications kept. Default 100.</summary>
    public int Size { get; set; } = 100;

    /// <summary>How long a publication is kept. Default 5 minutes.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most bytes of publications kept. Default 1 MiB.</summary>
    public long MaxBytes { get; set; } = HistoryPolicy.DefaultMaxBytes;

    internal HistoryPolicy Policy => new() { Size = Size, Ttl = Ttl, MaxBytes = MaxBytes };
}

/// <summary>
/// Channel settings: history per channel name pattern (first match wins), and the default; the outbound
/// budget of every channel-protocol connection (SSE, plain WebSocket, long-poll), and what happens to a
/// subscriber that does not keep up, per channel name pattern.
/// </summary>
public sealed class ChannelOptions
{
    /// <summary>The history of a channel no rule of <see cref="History"/> matches.</summary>
    public HistoryPolicy DefaultHistory { get; } = new();

    /// <summary>History rules by channel pattern; the first that matches wins.</summary>
    public List<ChannelHistoryRule> History { get; } = [];

    /// <summary>
    /// Bytes of history the in-memory store keeps over all channels; past it the oldest publications go
    /// first, whatever their channel. 0 or less: no budget. Default 256 MiB. Not used by the Redis store
    /// (docs/protection.md).
    /// </summary>
    public long MaxMemory { get; set; } = 256L << 20;

    /// <summary>
    /// Channels the in-memory store keeps a log for; past it the least recently published channels are
    /// forgotten (their next publication starts a new epoch). 0 or less: no cap. Default 100 000.
    /// </summary>
    public int MaxChannels { get; set; } = 100_000;

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

    /// <summary>The history policy of <paramref name="channel"/>: the first matching rule's, or <see cref="DefaultHistory"/>.</summary>
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
    /// <summary>Whether <paramref name="name"/> matches <paramref name="pattern"/> (<c>*</c> any run of characters, <c>?</c> one).</summary>
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
