namespace Switchboard.Channels;

/// <summary>Where a publication landed: its namespace sequence number and its position in each channel.</summary>
public sealed record PublishResult(long Seq, IReadOnlyDictionary<string, StreamPosition> Positions);
