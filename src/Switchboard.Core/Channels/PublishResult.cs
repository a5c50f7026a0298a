namespace Switchboard.Channels;

/// <summary>Where a publication landed: its namespace sequence number and its position in each channel.</summary>
public sealed record PublishResult(long Seq, IReadOnlyDictionary<string, StreamPosition> Positions);

/// <summary>A Socket.IO socket's subscription: the channel position when it joined, and whether the asked-for position could be continued.</summary>
public sealed record SocketSubscription(StreamPosition Top, bool Continuous);
