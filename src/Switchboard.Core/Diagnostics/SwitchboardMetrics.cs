using System.Diagnostics;
using System.Diagnostics.Metrics;
using Switchboard.Protocols;

namespace Switchboard.Diagnostics;

/// <summary>
/// Switchboard's instruments, on one <see cref="Meter"/> named <see cref="MeterName"/> (docs/metrics.md
/// lists them). Made from the application's <see cref="IMeterFactory"/> when there is one, so each host
/// has its own meter. An instrument nobody listens to costs a branch; the hot paths add once per write
/// batch, per poll answer, per broadcast, never per byte or per recipient.
/// </summary>
public sealed partial class SwitchboardMetrics : IDisposable
{
    /// <summary>The meter's name: what an exporter subscribes to (<c>AddMeter("Switchboard")</c>).</summary>
    public const string MeterName = "Switchboard";

    // Attribute names (OpenTelemetry's where one fits; our own under switchboard.* otherwise).
    internal const string ProtocolTag = "network.protocol.name";
    internal const string TransportTag = "switchboard.transport";
    internal const string NamespaceTag = "switchboard.namespace";
    internal const string CodeTag = "switchboard.disconnect.code";
    internal const string ErrorTag = "error.type";

    private readonly bool _ownsMeter;

    private static readonly double[] DurationBuckets = [0.01, 0.1, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400];
    private static readonly double[] LatencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
    private static readonly long[] FanOutBuckets = [0, 1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000, 100000];

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a meter of their own without one.</summary>
    public SwitchboardMetrics(IMeterFactory? meterFactory = null)
    {
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _ownsMeter = meterFactory is null;
        Connections = Meter.CreateUpDownCounter<long>("switchboard.connections", "{connection}",
            "Open connections, by protocol, transport and namespace (a long-poll connection is a held poll).");
        SocketIOSockets = Meter.CreateUpDownCounter<long>("switchboard.socketio.sockets", "{socket}",
            "Connected Socket.IO sockets, by namespace (one connection may have a socket in several namespaces).");
        ConnectionDuration = Meter.CreateHistogram("switchboard.connection.duration", "s",
            "How long connections lasted, by protocol, transport, namespace and disconnect code.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        Handshakes = Meter.CreateCounter<long>("switchboard.handshakes", "{handshake}",
            "Connection attempts, by protocol and transport; refused ones carry error.type.");
        Disconnects = Meter.CreateCounter<long>("switchboard.disconnects", "{disconnect}",
            "Connections ended, by protocol, transport, namespace and disconnect code (docs/disconnect-reasons.md).");
        MessagesReceived = Meter.CreateCounter<long>("switchboard.messages.received", "{message}",
            "Messages received from clients, by protocol and transport.");
        BytesReceived = Meter.CreateCounter<long>("switchboard.io.received", "By",
            "Payload bytes received from clients, by protocol and transport.");
        FanOut = Meter.CreateHistogram("switchboard.broadcast.deliveries", "{delivery}",
            "Local recipients of each broadcast or publication (Socket.IO sockets plus channel subscribers).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = FanOutBuckets });
        PublishDuration = Meter.CreateHistogram("switchboard.publish.duration", "s",
            "Time to publish to channels: ordering, history append and hand-off to every local recipient's queue.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        SlowConsumers = Meter.CreateCounter<long>("switchboard.slow_consumers", "{event}",
            "Connections found over their outbound budget or send timeout, by protocol and the action taken (disconnect, drop_oldest).");
        RedisRoundTrip = Meter.CreateHistogram("switchboard.redis.round_trip", "s",
            "Round trips to Redis of the cluster's periodic heartbeat, by switchboard.redis.operation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        CreateObservables();
    }

    internal Histogram<double> RedisRoundTrip { get; }

    /// <summary>A round trip to Redis took <paramref name="elapsed"/> (the cluster's heartbeat: docs/metrics.md).</summary>
    public void RecordRedisRoundTrip(string operation, TimeSpan elapsed)
    {
        if (RedisRoundTrip.Enabled)
        {
            RedisRoundTrip.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("switchboard.redis.operation", operation));
        }
    }

    /// <summary>The meter every instrument is on.</summary>
    public Meter Meter { get; }

    internal UpDownCounter<long> Connections { get; }

    internal UpDownCounter<long> SocketIOSockets { get; }

    internal Histogram<double> ConnectionDuration { get; }

    internal Counter<long> Handshakes { get; }

    internal Counter<long> Disconnects { get; }

    internal Counter<long> MessagesReceived { get; }

    internal Counter<long> BytesReceived { get; }

    internal Histogram<long> FanOut { get; }

    internal Histogram<double> PublishDuration { get; }

    internal Counter<long> SlowConsumers { get; }

    /// <summary>A connection was accepted: counted open and as a successful handshake.</summary>
    internal void Opened(ConnectionTags tags)
    {
        if (Connections.Enabled)
        {
            Connections.Add(1, tags.Full);
        }
        if (Handshakes.Enabled)
        {
            Handshakes.Add(1, tags.Wire);
        }
    }

    /// <summary>A connection ended: no longer open, its duration, and its disconnect code.</summary>
    internal void Closed(ConnectionTags tags, long openedAt, TimeProvider time, DisconnectCode code)
    {
        if (Connections.Enabled)
        {
            Connections.Add(-1, tags.Full);
        }
        if (!ConnectionDuration.Enabled && !Disconnects.Enabled)
        {
            return;
        }
        var list = tags.WithCode(code);
        if (ConnectionDuration.Enabled)
        {
            ConnectionDuration.Record(time.GetElapsedTime(openedAt).TotalSeconds, list);
        }
        Disconnects.Add(1, list);
    }

    /// <summary>A connection moved to another transport (an Engine.IO upgrade).</summary>
    internal void Moved(ConnectionTags from, ConnectionTags to)
    {
        if (Connections.Enabled)
        {
            Connections.Add(-1, from.Full);
            Connections.Add(1, to.Full);
        }
    }

    /// <summary>A connection attempt was refused before it opened; <paramref name="error"/> is the refusal's code.</summary>
    public void HandshakeRefused(string protocol, string transport, string error)
    {
        if (Handshakes.Enabled)
        {
            Handshakes.Add(1, new KeyValuePair<string, object?>(ProtocolTag, protocol), new KeyValuePair<string, object?>(TransportTag, transport),
                new KeyValuePair<string, object?>(ErrorTag, error));
        }
    }

    /// <summary>Messages came in from one client.</summary>
    internal void Received(ConnectionTags tags, long messages, long bytes)
    {
        if (MessagesReceived.Enabled)
        {
            MessagesReceived.Add(messages, tags.Wire);
        }
        if (BytesReceived.Enabled)
        {
            BytesReceived.Add(bytes, tags.Wire);
        }
    }

    /// <summary>One broadcast or publication reached <paramref name="recipients"/> local recipients.</summary>
    internal void Delivered(long recipients, string nsp)
    {
        if (FanOut.Enabled)
        {
            FanOut.Record(recipients, new KeyValuePair<string, object?>(NamespaceTag, nsp));
        }
    }

    /// <summary>A timestamp to time a publish with, or 0 when nobody listens (no clock read).</summary>
    internal long StartPublish() => PublishDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    internal void Published(long startedAt, string nsp)
    {
        if (startedAt != 0)
        {
            PublishDuration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, new KeyValuePair<string, object?>(NamespaceTag, nsp));
        }
    }

    /// <summary>A connection was found to be a slow consumer; <paramref name="action"/> is what was done.</summary>
    internal void SlowConsumer(string protocol, string action)
    {
        if (SlowConsumers.Enabled)
        {
            SlowConsumers.Add(1, new KeyValuePair<string, object?>(ProtocolTag, protocol), new KeyValuePair<string, object?>("switchboard.slow_consumer.action", action));
        }
    }

    internal void SocketConnected(string nsp, int delta)
    {
        if (SocketIOSockets.Enabled)
        {
            SocketIOSockets.Add(delta, new KeyValuePair<string, object?>(NamespaceTag, nsp));
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
