namespace Switchboard.Channels;

public sealed partial class ChannelHub
{
    /// <summary>How many connections, of every protocol, are subscribed to the channel on this node.</summary>
    public int PresenceCount(string channel)
    {
        int others;
        lock (_subscribers)
        {
            others = _subscribers.TryGetValue(channel, out var set) ? set.Count : 0;
        }
        return others + _rooms.RoomSize(channel);
    }

    /// <summary>
    /// The connections subscribed to the channel, of every protocol, with their users: on every node of the
    /// cluster (the nodes with members are asked), or on this node alone without a cluster.
    /// </summary>
    public async ValueTask<ChannelPresence> PresenceAsync(string channel, CancellationToken cancellationToken = default)
    {
        var members = new List<PresenceMember>(LocalPresence(channel));
        members.AddRange(await _rooms.PresenceElsewhereAsync(channel, cancellationToken).ConfigureAwait(false));
        var users = members.Select(m => m.UserId).Where(u => u is not null).Distinct(StringComparer.Ordinal).Count();
        return new ChannelPresence(channel, members.Count, users, members);
    }

    /// <summary>This node's subscribers of the channel: channel-protocol connections and the room's members.</summary>
    internal List<PresenceMember> LocalPresence(string channel)
    {
        var node = _backplane.NodeId;
        var members = new List<PresenceMember>();
        lock (_subscribers)
        {
            if (_subscribers.TryGetValue(channel, out var set))
            {
                foreach (var subscriber in set.Keys)
                {
                    members.Add(new PresenceMember(subscriber.ConnectionId, subscriber.UserId, (subscriber as IChannelConnection)?.Protocol ?? "subscriber", node));
                }
            }
        }
        _rooms.AddPresence(channel, node, members);
        return members;
    }
}
