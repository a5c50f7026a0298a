using Switchboard.Channels;

namespace Switchboard.Cluster;

/// <summary>
/// Where the replays of recent socket subscriptions ended, per channel. In a cluster a publication may
/// reach this node after a socket's replay already had it; such a publication is not sent to that socket
/// again. A floor is dropped once a later publication of its channel passes it, or after a minute.
/// </summary>
internal sealed class SocketFloors
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, List<Floor>> _channels = new(StringComparer.Ordinal);

    public void Add(string channel, string socketId, StreamPosition top, DateTimeOffset now)
    {
        lock (_channels)
        {
            foreach (var (name, floors) in _channels)
            {
                floors.RemoveAll(f => now - f.Since > MaxAge);
                if (floors.Count == 0)
                {
                    _channels.Remove(name);
                }
            }
            if (!_channels.TryGetValue(channel, out var list))
            {
                _channels[channel] = list = [];
            }
            list.Add(new Floor(socketId, top, now));
        }
    }

    /// <summary>The sockets that already have the publication at these positions; null when none.</summary>
    public List<string>? Excluded(IReadOnlyDictionary<string, StreamPosition> positions)
    {
        List<string>? excluded = null;
        lock (_channels)
        {
            if (_channels.Count == 0)
            {
                return null;
            }
            foreach (var (channel, position) in positions)
            {
                if (!_channels.TryGetValue(channel, out var floors))
                {
                    continue;
                }
                for (var i = floors.Count - 1; i >= 0; i--)
                {
                    var floor = floors[i];
                    if (floor.Top.Epoch == position.Epoch && position.Offset <= floor.Top.Offset)
                    {
                        (excluded ??= []).Add(floor.SocketId);
                    }
                    else
                    {
                        floors.RemoveAt(i);
                    }
                }
                if (floors.Count == 0)
                {
                    _channels.Remove(channel);
                }
            }
        }
        return excluded;
    }

    private readonly record struct Floor(string SocketId, StreamPosition Top, DateTimeOffset Since);
}
