using Switchboard.Diagnostics;

namespace Switchboard.Engine;

public sealed partial class EngineServer : IMetricsSource
{
    /// <summary>Where the sessions are counted (docs/metrics.md); null: nowhere.</summary>
    internal SwitchboardMetrics? Metrics { get; private set; }

    internal ConnectionTags PollingTags { get; private set; } = new("engine.io", "polling");

    internal ConnectionTags WebSocketTags { get; private set; } = new("engine.io", "websocket");

    /// <summary>
    /// Counts this server's sessions, their messages and queues on <paramref name="metrics"/>, as
    /// connections of <paramref name="protocol"/> (<c>socket.io</c>, or <c>engine.io</c> for a bare
    /// endpoint). Call before the first session opens.
    /// </summary>
    public void UseMetrics(SwitchboardMetrics metrics, string protocol)
    {
        Metrics = metrics;
        PollingTags = new ConnectionTags(protocol, "polling");
        WebSocketTags = new ConnectionTags(protocol, "websocket");
        metrics.Observe(this);
    }

    internal ConnectionTags TagsOf(EngineTransportKind transport) => transport == EngineTransportKind.WebSocket ? WebSocketTags : PollingTags;

    // What the sessions that left were sent; the lock makes a session's move from the dictionary to the
    // totals atomic for a collection, so the observed counts never go down.
    private readonly Lock _trafficLock = new();
    private SentTraffic _retiredPolling;
    private SentTraffic _retiredWebSocket;

    /// <summary>Removes a session, moving its sent traffic to the totals in the same step.</summary>
    private bool RemoveCounted(EngineSession session)
    {
        lock (_trafficLock)
        {
            if (!_sessions.TryRemove(new KeyValuePair<string, EngineSession>(session.Id, session)))
            {
                return false;
            }
            session.RetireSent(ref _retiredPolling, ref _retiredWebSocket);
            return true;
        }
    }

    /// <summary>A write to a session that already left (its last packets): straight to the totals.</summary>
    internal void CountRetiredSent(EngineTransportKind transport, long messages, long bytes)
    {
        lock (_trafficLock)
        {
            (transport == EngineTransportKind.WebSocket ? ref _retiredWebSocket : ref _retiredPolling).Add(messages, bytes);
        }
    }

    void IMetricsSource.ObserveTraffic(TrafficObservation traffic)
    {
        lock (_trafficLock)
        {
            traffic.Add(PollingTags, _retiredPolling);
            traffic.Add(WebSocketTags, _retiredWebSocket);
            foreach (var session in _sessions.Values)
            {
                session.ObserveSent(traffic);
            }
        }
    }

    void IMetricsSource.ObserveQueues(QueueObservation queues)
    {
        var protocol = PollingTags.Protocol;
        foreach (var session in _sessions.Values)
        {
            queues.Add(protocol, session.QueuedBytes);
        }
    }
}
