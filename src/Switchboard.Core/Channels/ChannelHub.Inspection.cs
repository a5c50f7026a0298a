using Switchboard.Engine;

namespace Switchboard.Channels;

public sealed partial class ChannelHub
{
    /// <summary>
    /// This node's channel-protocol connections (SSE, plain WebSocket, long-poll): a snapshot, for an
    /// admin view. Reads the registry the HTTP API's disconnect uses; nothing on the publish path.
    /// </summary>
    public IReadOnlyList<IChannelConnection> LocalConnections() => [.. _connections.Values];

    /// <summary>
    /// This node's channels that have local subscribers, with how many, of every protocol (Socket.IO
    /// room members included; the sockets' own id rooms left out): a snapshot, for an admin view.
    /// </summary>
    public IReadOnlyDictionary<string, int> LocalChannels()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        lock (_subscribers)
        {
            foreach (var (channel, set) in _subscribers)
            {
                if (set.Count > 0)
                {
                    counts[channel] = set.Count;
                }
            }
        }
        foreach (var room in _rooms.Rooms)
        {
            if (room == EveryoneChannel || IsPrivateRoom(room))
            {
                continue;
            }
            var size = _rooms.RoomSize(room);
            if (size > 0)
            {
                counts[room] = counts.GetValueOrDefault(room) + size;
            }
        }
        return counts;
    }

    /// <summary>The Engine.IO transport a Socket.IO socket of this namespace is on now, or null when there is no such socket.</summary>
    public EngineTransportKind? TransportOf(string socketId) => _rooms.TransportOf(socketId);
}
