using Switchboard.Channels;

namespace Switchboard.Cluster;

/// <summary>
/// The highest positions a node has seen in one namespace (its sequence numbers and each channel's
/// offsets, from its own publications and from what the cluster delivered), per epoch. A Redis server
/// promoted without the last writes is behind them; the publish script compares and starts new epochs
/// rather than hand out positions clients have already seen (docs/decisions/0007). Bounded: past
/// <see cref="MaxChannels"/> channels it forgets them all, which only weakens the check until they are seen again.
/// </summary>
internal sealed class HighWaterMarks
{
    internal const int MaxChannels = 10_000;

    private readonly Dictionary<string, StreamPosition> _channels = new(StringComparer.Ordinal);
    private StreamPosition _sequence = new(0, "");

    /// <summary>Notes a sequence number seen in an epoch.</summary>
    public void NoteSequence(string epoch, long seq)
    {
        lock (_channels)
        {
            _sequence = Higher(_sequence, new StreamPosition(seq, epoch));
        }
    }

    /// <summary>Notes channel positions seen.</summary>
    public void Note(IReadOnlyDictionary<string, StreamPosition> positions)
    {
        lock (_channels)
        {
            if (_channels.Count + positions.Count > MaxChannels)
            {
                _channels.Clear();
            }
            foreach (var (channel, position) in positions)
            {
                _channels[channel] = _channels.TryGetValue(channel, out var known) ? Higher(known, position) : position;
            }
        }
    }

    /// <summary>What this node has seen of the namespace and of <paramref name="channels"/>, for a publication to them.</summary>
    public ClusterHighWater For(IReadOnlyCollection<string> channels)
    {
        lock (_channels)
        {
            var seen = new Dictionary<string, StreamPosition>(channels.Count, StringComparer.Ordinal);
            foreach (var channel in channels)
            {
                if (_channels.TryGetValue(channel, out var position))
                {
                    seen[channel] = position;
                }
            }
            return new ClusterHighWater(_sequence, seen);
        }
    }

    // Within an epoch, the larger offset; a position in another epoch replaces what was known (the
    // newest epoch seen is the one that counts: positions of an older one can no longer be continued).
    private static StreamPosition Higher(StreamPosition known, StreamPosition seen) =>
        known.Epoch == seen.Epoch && known.Offset >= seen.Offset ? known : seen;
}
