namespace Switchboard.AspNetCore.Transports.ServerSentEvents;

/// <summary>Settings of an SSE endpoint (<c>MapServerSentEvents</c>); docs/protocols/sse.md.</summary>
public sealed class ServerSentEventsOptions
{
    /// <summary>How often an idle stream gets a <c>: ping</c> comment, so proxies keep it open. Default 15 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The reconnection delay sent to clients in the <c>retry</c> field. Default 3 s.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The most channels one stream may subscribe to. Default 64.</summary>
    public int MaxChannels { get; set; } = 64;

    /// <summary>
    /// The most messages that may wait for a slow client before it is disconnected (<c>close</c> with
    /// reason <c>slow consumer</c>). Default 10 000. A resume replays through the same queue, so keep it
    /// above what one stream can be owed: the channels' history size times the channels per stream.
    /// </summary>
    public int MaxQueuedMessages { get; set; } = 10_000;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HeartbeatInterval, TimeSpan.Zero, nameof(HeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryInterval, TimeSpan.Zero, nameof(RetryInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChannels, 1, nameof(MaxChannels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedMessages, 1, nameof(MaxQueuedMessages));
    }
}
