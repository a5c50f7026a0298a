namespace Switchboard.Channels;

/// <summary>What a history read found.</summary>
/// <param name="Top">The channel's current position (offset of its latest publication, and its epoch).</param>
/// <param name="Continuous">
/// False when the requested position cannot be continued exactly: another epoch, or publications after
/// it already trimmed. Then <paramref name="Entries"/> is empty and the reader must be told so.
/// </param>
/// <param name="Entries">The publications after the requested position, oldest first.</param>
public sealed record HistoryRead(StreamPosition Top, bool Continuous, IReadOnlyList<ChannelEntry> Entries);

/// <summary>
/// Channel history: the ordered, bounded log of each channel's publications with its offsets and epoch.
/// The caller serialises appends per namespace, so offsets follow the namespace's publication order.
/// In memory by default; a Redis implementation keeps it across nodes.
/// </summary>
public interface IChannelStore
{
    /// <summary>Appends a publication to a channel and returns its position (offset + epoch).</summary>
    ValueTask<StreamPosition> AppendAsync(string nsp, string channel, Publication publication, HistoryPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the publications after <paramref name="since"/> (at most <paramref name="limit"/>); with no
    /// position, the latest <paramref name="limit"/>.
    /// </summary>
    ValueTask<HistoryRead> ReadAsync(string nsp, string channel, StreamPosition? since, int limit, CancellationToken cancellationToken = default);

    /// <summary>Reads the publications whose namespace sequence number is greater than <paramref name="seq"/> (Socket.IO recovery).</summary>
    ValueTask<HistoryRead> ReadAfterSeqAsync(string nsp, string channel, long seq, CancellationToken cancellationToken = default);

    /// <summary>The channel's current position; offset 0 when nothing was ever published in this epoch.</summary>
    ValueTask<StreamPosition> GetPositionAsync(string nsp, string channel, CancellationToken cancellationToken = default);

    /// <summary>
    /// How long an idle channel outlives its history before the store forgets it (and its next publication
    /// starts a new epoch); null when channels are never forgotten. A new epoch sooner than that is a loss.
    /// </summary>
    TimeSpan? IdleChannelExpiry => InMemoryChannelStore.SweepPeriod;
}
