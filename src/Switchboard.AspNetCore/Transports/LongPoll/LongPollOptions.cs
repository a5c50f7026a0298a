namespace Switchboard.AspNetCore.Transports.LongPoll;

/// <summary>Settings of a long-poll endpoint (<c>MapLongPoll</c>); docs/protocols/longpoll.md.</summary>
public sealed class LongPollOptions
{
    /// <summary>How long a poll is held when it names no <c>timeout</c>. Default 25 s.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// The longest a poll may ask to be held; longer requests are held this long. Default 25 s: it must stay
    /// below the read timeout of every proxy on the way (nginx 60 s, haproxy's <c>timeout server</c> often
    /// 30 s), which would otherwise answer a held poll with 504 (docs/proxies.md, "Timeouts").
    /// </summary>
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>The most channels one poll may name. Default 64.</summary>
    public int MaxChannels { get; set; } = 64;

    /// <summary>The most publications one response carries; the rest come with the next poll. Default 1000.</summary>
    public int MaxPublications { get; set; } = 1000;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultTimeout, TimeSpan.Zero, nameof(DefaultTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTimeout, DefaultTimeout, nameof(MaxTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChannels, 1, nameof(MaxChannels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPublications, 1, nameof(MaxPublications));
    }
}
