using System.Diagnostics.Metrics;

namespace Switchboard.Diagnostics;

/// <summary>
/// Something whose state the observable instruments read when they are collected (a scrape), rather than
/// counting as it changes: the outbound queues of an Engine.IO server or a channel hub, a channel store's
/// history, the refusals a limiter counts already.
/// </summary>
public interface IMetricsSource
{
    /// <summary>Adds the bytes queued for each of the source's connections.</summary>
    void ObserveQueues(QueueObservation queues)
    {
    }

    /// <summary>Adds the history the source keeps (publications' bytes and channels).</summary>
    void ObserveHistory(HistoryObservation history)
    {
    }

    /// <summary>Adds the source's refusal counts, each with its limit's name.</summary>
    void ObserveRefusals(ICollection<Measurement<long>> refusals)
    {
    }

    /// <summary>Adds what the source's connections (live and gone) were sent, per protocol and transport.</summary>
    void ObserveTraffic(TrafficObservation traffic)
    {
    }

    /// <summary>The live nodes of the cluster as the source last saw them; null when it does not know.</summary>
    long? ObserveClusterNodes() => null;

    /// <summary>
    /// The source is observed by <paramref name="metrics"/>: one that records as it goes (a round trip it
    /// times) keeps it. Called once, by <see cref="SwitchboardMetrics.Observe"/>.
    /// </summary>
    void Attach(SwitchboardMetrics metrics)
    {
    }
}

/// <summary>Queued outbound bytes, summed and maxed per protocol, while the observable instruments are collected.</summary>
public sealed class QueueObservation
{
    internal Dictionary<string, (long Sum, long Max, long Count)> ByProtocol { get; } = new(StringComparer.Ordinal);

    /// <summary>One connection of <paramref name="protocol"/> has <paramref name="bytes"/> queued.</summary>
    public void Add(string protocol, long bytes)
    {
        ref var entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ByProtocol, protocol, out _);
        entry = (entry.Sum + bytes, Math.Max(entry.Max, bytes), entry.Count + 1);
    }
}

/// <summary>History held by channel stores, while the observable instruments are collected.</summary>
public sealed class HistoryObservation
{
    /// <summary>The bytes of history held.</summary>
    public long Bytes { get; set; }

    /// <summary>The channels with history.</summary>
    public long Channels { get; set; }
}

public sealed partial class SwitchboardMetrics
{
    private readonly Lock _sourcesGate = new();
    private readonly List<WeakReference<IMetricsSource>> _sources = [];

    /// <summary>
    /// Lets the observable instruments read <paramref name="source"/> when they are collected. Held weakly:
    /// a source that is gone stops being read.
    /// </summary>
    public void Observe(IMetricsSource source)
    {
        lock (_sourcesGate)
        {
            _sources.Add(new WeakReference<IMetricsSource>(source));
        }
        source.Attach(this);
    }

    /// <summary>Stops reading <paramref name="source"/>.</summary>
    public void Forget(IMetricsSource source)
    {
        lock (_sourcesGate)
        {
            _sources.RemoveAll(w => !w.TryGetTarget(out var s) || ReferenceEquals(s, source));
        }
    }

    private List<IMetricsSource> Sources()
    {
        var live = new List<IMetricsSource>();
        lock (_sourcesGate)
        {
            _sources.RemoveAll(w => !w.TryGetTarget(out _));
            foreach (var weak in _sources)
            {
                if (weak.TryGetTarget(out var source))
                {
                    live.Add(source);
                }
            }
        }
        return live;
    }

    private ObservableGauge<long>? _clusterNodes;
    private ObservableCounter<long>? _messagesSent;
    private ObservableCounter<long>? _bytesSent;

    /// <summary>
    /// Whether anyone listens to the sent messages or bytes: connections keep their counts only then (a
    /// listener sees what was sent from the moment it subscribed).
    /// </summary>
    internal bool TrafficObserved => _messagesSent?.Enabled == true || _bytesSent?.Enabled == true;

    /// <summary>Whether anyone listens to <c>switchboard.cluster.nodes</c>: a source need not count nodes otherwise.</summary>
    public bool ClusterNodesObserved => _clusterNodes?.Enabled == true;

    private void CreateObservables()
    {
        _messagesSent = Meter.CreateObservableCounter("switchboard.messages.sent", () => ObserveTraffic(bytes: false), "{message}",
            "Messages written to clients (WebSocket messages, polling packets, SSE events, long-poll publications), by protocol and transport.");
        _bytesSent = Meter.CreateObservableCounter("switchboard.io.sent", () => ObserveTraffic(bytes: true), "By",
            "Payload bytes written to clients, before WebSocket or HTTP framing and compression, by protocol and transport.");
        Meter.CreateObservableGauge("switchboard.outbound.queued", () => ObserveQueues(max: false), "By",
            "Bytes waiting in connections' outbound queues, by protocol (docs/protection.md).");
        Meter.CreateObservableGauge("switchboard.outbound.queued.max", () => ObserveQueues(max: true), "By",
            "The most bytes waiting in any one connection's outbound queue, by protocol.");
        Meter.CreateObservableGauge("switchboard.history.size", () => ObserveHistory().Bytes, "By",
            "Bytes of publications kept in channel history by the in-memory store.");
        Meter.CreateObservableGauge("switchboard.history.channels", () => ObserveHistory().Channels, "{channel}",
            "Channels with history in the in-memory store.");
        Meter.CreateObservableCounter("switchboard.limits.refusals", ObserveRefusals, "{refusal}",
            "Refusals of the connection and rate limits, by switchboard.limit (docs/protection.md).");
        _clusterNodes = Meter.CreateObservableGauge("switchboard.cluster.nodes", ObserveClusterNodes, "{node}",
            "Live nodes of the cluster (leases not run out), as this node last read them; absent on a single node.");
    }

    private IEnumerable<Measurement<long>> ObserveQueues(bool max)
    {
        var queues = new QueueObservation();
        foreach (var source in Sources())
        {
            source.ObserveQueues(queues);
        }
        var measurements = new List<Measurement<long>>(queues.ByProtocol.Count);
        foreach (var (protocol, entry) in queues.ByProtocol)
        {
            measurements.Add(new Measurement<long>(max ? entry.Max : entry.Sum, new KeyValuePair<string, object?>(ProtocolTag, protocol)));
        }
        return measurements;
    }

    private List<Measurement<long>> ObserveTraffic(bool bytes)
    {
        var traffic = new TrafficObservation();
        foreach (var source in Sources())
        {
            source.ObserveTraffic(traffic);
        }
        var measurements = new List<Measurement<long>>(traffic.ByWire.Count);
        foreach (var (wire, sent) in traffic.ByWire.Values)
        {
            measurements.Add(new Measurement<long>(bytes ? sent.Bytes : sent.Messages, wire));
        }
        return measurements;
    }

    private HistoryObservation ObserveHistory()
    {
        var history = new HistoryObservation();
        foreach (var source in Sources())
        {
            source.ObserveHistory(history);
        }
        return history;
    }

    private IEnumerable<Measurement<long>> ObserveClusterNodes()
    {
        foreach (var source in Sources())
        {
            if (source.ObserveClusterNodes() is { } nodes)
            {
                return [new Measurement<long>(nodes)];
            }
        }
        return [];
    }

    private List<Measurement<long>> ObserveRefusals()
    {
        var refusals = new List<Measurement<long>>();
        foreach (var source in Sources())
        {
            source.ObserveRefusals(refusals);
        }
        return refusals;
    }
}
