using System.Collections.Concurrent;
using Switchboard.Diagnostics;

namespace Switchboard.Channels;

public sealed partial class ChannelHub
{
    private readonly ConcurrentDictionary<string, ConnectionTags> _tags = new(StringComparer.Ordinal);

    internal SwitchboardMetrics Metrics { get; }

    /// <summary>The attributes of this namespace's connections of <paramref name="protocol"/> (its transport is the protocol itself).</summary>
    internal ConnectionTags TagsFor(string protocol) =>
        _tags.GetOrAdd(protocol, static (p, nsp) => new ConnectionTags(p, p, nsp), _name);

    // What the connections that left were sent, per kind; the lock makes a connection's move from the
    // registry to the totals atomic for a collection, so the observed counts never go down.
    private readonly Lock _trafficLock = new();
    private readonly Dictionary<ConnectionTags, SentTraffic> _retired = [];

    /// <summary>Unregisters a connection, moving its sent traffic to the totals in the same step.</summary>
    private void UnregisterCounted(IChannelConnection connection)
    {
        lock (_trafficLock)
        {
            if (_connections.TryRemove(new KeyValuePair<string, IChannelConnection>(connection.ConnectionId, connection)) && connection is ChannelConnection counted)
            {
                var (tags, sent) = counted.RetireSent();
                AddRetired(tags, sent.Messages, sent.Bytes);
            }
        }
    }

    internal void CountRetiredSent(ConnectionTags tags, long messages, long bytes)
    {
        lock (_trafficLock)
        {
            AddRetired(tags, messages, bytes);
        }
    }

    private void AddRetired(ConnectionTags tags, long messages, long bytes)
    {
        if (messages == 0 && bytes == 0)
        {
            return;
        }
        ref var entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_retired, tags, out _);
        entry.Messages += messages;
        entry.Bytes += bytes;
    }

    internal void ObserveTraffic(TrafficObservation traffic)
    {
        lock (_trafficLock)
        {
            foreach (var (tags, sent) in _retired)
            {
                traffic.Add(tags, sent);
            }
            foreach (var connection in _connections.Values)
            {
                (connection as ChannelConnection)?.ObserveSent(traffic);
            }
        }
    }

    internal void ObserveQueues(QueueObservation queues)
    {
        foreach (var connection in _connections.Values)
        {
            queues.Add(connection.Protocol, connection.QueuedBytes);
        }
    }
}
