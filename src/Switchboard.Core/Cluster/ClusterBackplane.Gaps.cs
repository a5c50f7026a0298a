using Switchboard.Channels;

namespace Switchboard.Cluster;

internal sealed partial class ClusterBackplane
{
    /// <summary>
    /// Pub/sub delivers at most once: a message published while this node's subscription was down (a
    /// Redis blip) never comes. Offsets of a channel are consecutive, so the next publication shows the
    /// gap; what is missing is read from history and delivered first, in order. A publication in a new
    /// epoch of the channel (Redis came back empty, or the channel expired) while this node had members
    /// shows the same: whatever of the new epoch came before it was missed (published before this node
    /// had registered again, or before its inbox subscription was restored), and is read from the
    /// epoch's start. Subscribers that joined within the new epoch have their floors, so they are not
    /// sent what they already have. Returns the channels whose offsets went back within their epoch, with
    /// that epoch (null: none).
    /// </summary>
    private async ValueTask<List<(string Channel, string Epoch)>?> FillGapsAsync(IReadOnlyDictionary<string, StreamPosition> positions, DateTimeOffset publishedAt)
    {
        List<(string, string)>? rewound = null;
        foreach (var (channel, position) in positions)
        {
            if (!_interest.Contains(channel))
            {
                // A channel of the same publication that nobody here listens to.
                continue;
            }
            StreamPosition last;
            DateTimeOffset lastAt;
            lock (_delivered)
            {
                var known = _delivered.TryGetValue(channel, out last);
                if (known && _readAhead.Contains(channel))
                {
                    if (last.Epoch == position.Epoch && position.Offset <= last.Offset)
                    {
                        // A subscription read the history up to `last` while this publication waited in the
                        // inbox: the inbox is catching up, offsets did not go back. Subscribers' floors keep
                        // it from those that had it in their replay.
                        continue;
                    }
                    _readAhead.Remove(channel);
                }
                lastAt = _deliveredAt.GetValueOrDefault(channel, publishedAt);
                _delivered[channel] = position;
                _deliveredAt[channel] = publishedAt;
                if (!known)
                {
                    continue;
                }
            }
            var wentBack = last.Epoch == position.Epoch && position.Offset <= last.Offset;
            var lostEpoch = last.Epoch != position.Epoch && !ExpiredNaturally(channel, lastAt);
            if (wentBack)
            {
                (rewound ??= []).Add((channel, last.Epoch));
            }
            if (wentBack || lostEpoch)
            {
                // The channel's history changed under its live streams: Redis came back empty or a
                // failover lost its last writes (a new epoch), or offsets went back (a promoted replica
                // that lacked them). What this node delivered may be gone: its subscribers are told now,
                // not only when they resume (docs/decisions/0007).
                _hub.SignalDiscontinuity(channel, last.Epoch != position.Epoch ? new StreamPosition(0, position.Epoch) : new StreamPosition(position.Offset - 1, position.Epoch));
            }
            // In a new epoch, nothing of it was delivered here yet: from its start.
            var from = last.Epoch == position.Epoch ? last : new StreamPosition(0, position.Epoch);
            if (position.Offset <= from.Offset + 1)
            {
                continue;
            }
            var missing = (int)Math.Min(int.MaxValue, position.Offset - from.Offset - 1);
            try
            {
                var read = await _hub.Store.ReadAsync(_hub.Name, channel, from, missing).ConfigureAwait(false);
                if (!read.Continuous)
                {
                    continue;
                }
                _hub.Log.GapFilled(_hub.Name, channel, read.Entries.Count);
                foreach (var entry in read.Entries)
                {
                    _hub.DeliverInOrder(entry.Publication, [channel], new Dictionary<string, StreamPosition>(1, StringComparer.Ordinal) { [channel] = entry.Position });
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _hub.Log.GapNotFilled(_hub.Name, channel, ex.Message);
            }
        }
        return rewound;
    }

    /// <summary>
    /// Positions went back under this node (the publisher did not know how far they had gone): the epochs
    /// they went back in are replaced, so no cursor from before continues into publications that reuse
    /// its offsets. Every node that notices asks; the backend does it once.
    /// </summary>
    private async ValueTask RestartRewoundAsync(string? sequenceEpoch, List<(string Channel, string Epoch)> channels)
    {
        _hub.Log.PositionsRewound(_hub.Name, sequenceEpoch ?? "-", string.Join(",", channels.Select(c => c.Channel)));
        try
        {
            await _cluster.RestartRewoundAsync(_hub.Name, sequenceEpoch, channels).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _hub.Log.RewoundNotRestarted(_hub.Name, ex.Message);
        }
    }

    /// <summary>
    /// Whether a channel whose last publication here was made at <paramref name="lastAt"/> may have been
    /// forgotten by the store by now (its history empty by age, then idle): a new epoch is then no loss.
    /// </summary>
    private bool ExpiredNaturally(string channel, DateTimeOffset lastAt) =>
        _hub.Store.IdleChannelExpiry is { } idle && _hub.Time.GetUtcNow() >= lastAt + _hub.Options.PolicyFor(channel).Ttl + idle;
}
