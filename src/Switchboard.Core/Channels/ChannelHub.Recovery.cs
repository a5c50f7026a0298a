namespace Switchboard.Channels;

public sealed partial class ChannelHub
{
    /// <summary>
    /// Socket.IO recovery: atomically with respect to publications, reads what the member's rooms received
    /// after <paramref name="seq"/>; if every room can be continued, calls <paramref name="connect"/> with the
    /// missed publications (in order, each once, minus those the member was excluded from) and returns true.
    /// <paramref name="connect"/> runs at this point of the namespace's order: after every publication
    /// ordered before the read has been delivered (so the member, not yet in its rooms, gets none of them
    /// twice), before any ordered after it.
    /// </summary>
    internal async ValueTask<bool> TryRecoverAsync(RecoverableSession session, string memberId, string epoch, long seq, Action<IReadOnlyList<Publication>> connect)
    {
        if (!await _backplane.IsCurrentAsync(epoch, seq).ConfigureAwait(false))
        {
            return false;
        }
        await EnterOrderAsync(CancellationToken.None).ConfigureAwait(false);
        GoLive? live;
        string[] rooms;
        lock (session)
        {
            // Its own id room and the everyone channel carried what was sent to it alone and to everyone.
            rooms = [.. session.Rooms.Append(memberId).Append(EveryoneChannel).Distinct(StringComparer.Ordinal)];
        }
        var held = new List<string>();
        try
        {
            // In a cluster the rooms' publications must reach this node before their history is read,
            // or one published in between would be in neither.
            foreach (var room in rooms)
            {
                held.Add(room);
                await _backplane.AcquireAsync(room).ConfigureAwait(false);
            }
            var missed = new SortedDictionary<long, Publication>();
            var tops = new List<(string Room, StreamPosition Top)>(rooms.Length);
            foreach (var room in rooms)
            {
                var read = await _store.ReadAfterSeqAsync(_name, room, seq).ConfigureAwait(false);
                if (!read.Continuous)
                {
                    return false;
                }
                tops.Add((room, read.Top));
                foreach (var entry in read.Entries)
                {
                    var publication = entry.Publication;
                    if (publication.PublisherId != memberId && !publication.Except.Any(r => r == memberId || rooms.Contains(r)))
                    {
                        missed[publication.Seq] = publication;
                    }
                }
            }
            // What reaches this node after the read but was in it is not sent twice.
            foreach (var (room, top) in tops)
            {
                _backplane.NoteReplayed(room, memberId, top);
            }
            Publication[] publications = [.. missed.Values];
            live = GoLiveLocked(() => connect(publications));
        }
        finally
        {
            foreach (var room in held)
            {
                _backplane.Release(room);
            }
            _order.Release();
        }
        await AwaitLiveAsync(live).ConfigureAwait(false);
        return true;
    }
}
