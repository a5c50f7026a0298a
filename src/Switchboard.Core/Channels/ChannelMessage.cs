using Switchboard.Protocols;

namespace Switchboard.Channels;

/// <summary>What a <see cref="ChannelMessage"/> queued for a channel connection carries.</summary>
public enum ChannelMessageKind
{
    /// <summary>A publication (live or replayed).</summary>
    Publication,

    /// <summary>The position asked for in a channel cannot be continued; live delivery goes on from <see cref="ChannelMessage.Top"/>.</summary>
    Discontinuity,

    /// <summary>The server ends the connection; <see cref="ChannelMessage.Reason"/> says why.</summary>
    Close,

    /// <summary>
    /// A frame the transport encoded itself (<see cref="ChannelMessage.Frame"/>): a reply to the client's
    /// request, queued behind every push queued before it, so it goes out after them.
    /// </summary>
    Frame,

    /// <summary>
    /// No content: the transport woke itself with <see cref="ChannelConnection.Signal"/> (a heartbeat is
    /// due, its request ended) and looks at its own state to see why.
    /// </summary>
    Signal,
}

/// <summary>
/// One item of a channel connection's outbound queue. <see cref="Key"/> is set while a publication waits
/// under <see cref="SlowConsumerPolicy.LatestPerKey"/> (a newer one of the same key may take its place);
/// transports never see it.
/// </summary>
public readonly record struct ChannelMessage(ChannelMessageKind Kind, ChannelEntry Entry = default, string? Channel = null, StreamPosition Top = default, string? Reason = null, string? Key = null, DisconnectCode? Code = null, byte[]? Frame = null);
