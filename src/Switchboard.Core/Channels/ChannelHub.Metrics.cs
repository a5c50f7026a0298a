using System.Collections.Concurrent;
using Switchboard.Diagnostics;

namespace Switchboard.Channels;

public sealed partial class ChannelHub
{
    private readonly ConcurrentDictionary<string, ConnectionTags> _tags = new(StringComparer.Ordinal);

    internal SwitchboardMetrics Metrics => _namespace.Server.Metrics;

    /// <summary>The attributes of this namespace's connections of <paramref name="protocol"/> (its transport is the protocol itself).</summary>
    internal ConnectionTags TagsFor(string protocol) =>
        _tags.GetOrAdd(protocol, static (p, nsp) => new ConnectionTags(p, p, nsp), _namespace.Name);

    internal void ObserveQueues(QueueObservation queues)
    {
        foreach (var connection in _connections.Values)
        {
            if (connection is Connections.IConnection counted)
            {
                queues.Add(counted.Protocol, counted.QueuedBytes);
            }
        }
    }
}
