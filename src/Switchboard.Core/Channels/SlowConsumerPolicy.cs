namespace Switchboard.Channels;

/// <summary>
/// What happens to a subscriber of the channel protocols (SSE, plain WebSocket, long-poll) that does not
/// read as fast as a channel is published to, once its queue reaches its byte budget
/// (<see cref="ChannelOptions.MaxQueuedBytes"/>). docs/protection.md says when to use which.
/// </summary>
public enum SlowConsumerPolicy
{
    /// <summary>
    /// The connection is closed as a slow consumer (its protocol's <c>slow_consumer</c> close): the client
    /// may reconnect, and resume from its last position without loss while the history still holds it.
    /// </summary>
    Disconnect,

    /// <summary>
    /// The channel's publications still waiting for the client are dropped, replaced by one discontinuity
    /// (the protocol's own signal, with the position of the last one dropped), and the newest goes on.
    /// </summary>
    DropOldest,

    /// <summary>
    /// Conflation: while the client lags, only the newest publication per key waits (a newer one takes the
    /// place of the one queued); the key is a top-level field of the publication's data
    /// (<see cref="SlowConsumerRule.Key"/>), or the channel itself when none is named. Nothing stale is
    /// delivered, and nothing is signalled: skipping is the point.
    /// </summary>
    LatestPerKey,
}

/// <summary>The slow-consumer policy of the channels whose name matches <see cref="Pattern"/> (first match wins).</summary>
public sealed class SlowConsumerRule
{
    /// <summary>The channel names the rule applies to (<c>*</c> any run of characters, <c>?</c> one).</summary>
    public string Pattern { get; set; } = "*";

    /// <summary>What a subscriber of these channels that falls behind gets.</summary>
    public SlowConsumerPolicy Policy { get; set; } = SlowConsumerPolicy.Disconnect;

    /// <summary>With <see cref="SlowConsumerPolicy.LatestPerKey"/>: the top-level field of the data that keys a publication (e.g. <c>symbol</c>, <c>id</c>); null keys by channel.</summary>
    public string? Key { get; set; }

    internal static readonly SlowConsumerRule Default = new();
}
