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

    void IMetricsSource.ObserveQueues(QueueObservation queues)
    {
        var protocol = PollingTags.Protocol;
        foreach (var session in _sessions.Values)
        {
            queues.Add(protocol, session.QueuedBytes);
        }
    }
}
