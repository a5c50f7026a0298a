using System.Diagnostics;
using Switchboard.LoadGen.Clients;
using Switchboard.LoadGen.Measure;
using Switchboard.LoadGen.Suite;
using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>
/// S2 / S3 / S7 / S6: subscribers in rooms, one publisher emitting <c>publish(room, payload)</c>. First at
/// saturation (closed loop: a fixed number of messages in flight) for deliveries per server
/// CPU-second; then at fixed offered rates (half of that saturation, and for S2-1k the fixed rate of
/// the goals) for delivery latency. S7 subscribes over SSE instead of WebSocket. S6 runs S2 on a
/// cluster: Redis and two Switchboard nodes, the subscribers alternating between the nodes, the
/// publisher on the first; the server's CPU is the sum of the three processes. S6-pair is its control:
/// the same two nodes on the same core without Redis, each standing alone with half the subscribers and
/// a publisher of its own, every message published on both — what two processes sharing one core cost,
/// with nothing of the cluster between them. S6-3 is S6 on three nodes. S8-poll subscribes over
/// Engine.IO long-polling, S8-longpoll over the channel long-poll (the publisher stays on WebSocket).
/// </summary>
internal sealed class FanOutScenario(string id, Func<ScenarioSettings, int> subscribers, Func<ScenarioSettings, int> rooms, SubscriberWire wire, Func<ScenarioSettings, double>? fixedRate, bool cluster = false, bool redis = true, bool inFlightRows = false, int nodeCount = 2)
    : Scenario
{
    /// <summary>About this many deliveries in flight keep any server busy without piling up queues.</summary>
    private const int DeliveriesInFlight = 16_000;

    /// <summary>The most publications in flight to long-poll subscribers: well inside a channel's default history of 100.</summary>
    private const int LongPollWindow = 50;

    public override string Id => id;

    public override string Describe(ScenarioSettings s)
    {
        var n = subscribers(s);
        var r = rooms(s);
        var who = wire switch
        {
            SubscriberWire.Sse => "SSE subscribers",
            SubscriberWire.EnginePolling => "Engine.IO long-polling subscribers",
            SubscriberWire.LongPoll => "channel long-poll subscribers",
            _ => "subscribers",
        };
        var shape = r == 1 ? $"one room of {n} {who}" : $"{r} rooms of {n / r} {who}";
        if (cluster)
        {
            shape += redis
                ? $" split over {nodeCount} Switchboard nodes on Redis (CPU of every node and Redis)"
                : " split over two standalone Switchboard nodes on one core, a publisher on each (CPU of both; the control of S6)";
        }
        var inFlight = inFlightRows && s.InFlight.Count > 0
            ? $" and with {string.Join(", ", s.InFlight)} publications in flight"
            : "";
        return $"{shape}, {Payload.TextLength}-byte payloads; deliveries per server CPU-second at saturation ({Math.Max(2, DeliveriesInFlight / Math.Max(1, n / r))} publications in flight){inFlight}; "
            + "latency and CPU per delivery at " + (fixedRate is null ? "" : $"{Phases.Rate(fixedRate(s))} and ") + "half of saturation"
            + (wire is SubscriberWire.EnginePolling or SubscriberWire.LongPoll ? "; server RSS per subscriber" : "");
    }

    public override async Task RunAsync(ScenarioContext context, ScenarioResult result)
    {
        var (target, settings, progress, cancellation) = context;
        if (wire == SubscriberWire.Sse && target.SseTemplate is null)
        {
            result.Skipped = target.SseUnavailable ?? "SSE endpoint not yet available";
            return;
        }
        if (wire == SubscriberWire.EnginePolling && (target.PollingUnavailable is not null || target.Protocol != ClientProtocol.SocketIO))
        {
            result.Skipped = target.PollingUnavailable ?? "not a Socket.IO server";
            return;
        }
        if (wire == SubscriberWire.LongPoll && target.LongPollTemplate is null)
        {
            result.Skipped = "not applicable: the channel long-poll is Switchboard's own protocol";
            return;
        }
        ClusterUnderTest? nodes = null;
        if (cluster)
        {
            if (context.StartCluster is null)
            {
                result.Skipped = "S6 measures Switchboard's own scale-out (compare with its S2-1k)";
                return;
            }
            progress.Stage = "starting cluster";
            nodes = await context.StartCluster(redis, nodeCount);
            target = nodes.First;
        }
        using var owned = nodes;
        Uri SubscriberUri(int i) => nodes is null ? target.ClientUri : nodes.Nodes[i % nodes.Nodes.Count].ClientUri;
        var count = subscribers(settings);
        var roomCount = rooms(settings);
        var perMessage = count / roomCount;
        var roomNames = Enumerable.Range(0, roomCount).Select(i => roomCount == 1 ? $"{id}-fan" : $"{id}-room-{i}").ToArray();
        var counters = new Counters();

        progress.Stage = "connect";
        var rss0 = target.Pid is { } p0 && target.ExtraPids.Count == 0 ? ProcessStats.RssBytes(p0) : 0;
        using var subs = await Fleet.OpenAsync(count,
            _ => wire switch
            {
                SubscriberWire.Sse => BenchClient.Create(ClientProtocol.Sse, target.Wire, counters),
                SubscriberWire.EnginePolling => BenchClient.Create(ClientProtocol.SocketIOPolling, target.Wire, counters),
                SubscriberWire.LongPoll => BenchClient.Create(ClientProtocol.LongPoll, target.Wire, counters),
                _ => context.NewClient(counters),
            },
            i => wire switch
            {
                SubscriberWire.Sse => target.SseUri(roomNames[i % roomCount]),
                SubscriberWire.EnginePolling => target.PollingUri,
                SubscriberWire.LongPoll => target.LongPollUri(roomNames[i % roomCount]),
                _ => SubscriberUri(i),
            },
            i => roomNames[i % roomCount],
            settings.ConnectParallelism, counters, progress, cancellation);
        if (rss0 > 0 && subs.Opened > 0 && wire is SubscriberWire.EnginePolling or SubscriberWire.LongPoll)
        {
            // What a subscriber holding its poll costs the server: RSS over the baseline before they connected.
            result.Metrics["rss_per_subscriber_kb"] = (ProcessStats.RssBytes(target.Pid!.Value) - rss0) / 1024.0 / subs.Opened;
        }
        // Standalone nodes (S6-pair) each need their own publisher: a message is published on both.
        var publishers = nodes is { Clustered: false } ? nodes.Nodes.Count : 1;
        using var pubFleet = await Fleet.OpenAsync(publishers, _ => context.NewClient(counters), i => i == 0 ? target.ClientUri : nodes!.Nodes[i].ClientUri, _ => null, 1, counters, null, cancellation);
        CheckFleet(result, subs, "subscribers");
        CheckFleet(result, pubFleet, "publisher");
        if (pubFleet.Opened < publishers || subs.Opened == 0)
        {
            return;
        }
        var publisher = pubFleet.Clients[0];
        var otherPublishers = pubFleet.Clients.Skip(1).ToArray();
        // Only deliveries to subscribers that did connect can be expected.
        var expectedPerMessage = new long[roomCount];
        for (var i = 0; i < count; i++)
        {
            if (subs.Clients[i] is not null)
            {
                expectedPerMessage[i % roomCount]++;
            }
        }
        long expected = 0;
        bool Publish(long seq)
        {
            var room = (int)(seq % roomCount);
            Span<byte> payload = stackalloc byte[Payload.JsonLength];
            Payload.Write(payload, Stopwatch.GetTimestamp());
            if (!publisher.Publish(roomNames[room], payload))
            {
                return false;
            }
            foreach (var other in otherPublishers)
            {
                if (!other.Publish(roomNames[room], payload))
                {
                    return false;
                }
            }
            Interlocked.Add(ref expected, expectedPerMessage[room]);
            return true;
        }
        if (wire != SubscriberWire.WebSocket)
        {
            // An SSE (or long-poll) subscription may be registered just after its response head: let it settle.
            await Task.Delay(settings.Smoke ? 200 : 1000, cancellation);
        }

        // Saturation: closed loop, first with the default window, then with each in-flight row's.
        var window = Math.Max(2, DeliveriesInFlight / Math.Max(1, perMessage));
        var discontinuities0 = ChannelLongPollConnection.Discontinuities;
        if (wire == SubscriberWire.LongPoll)
        {
            // A long-poll subscriber between two polls catches up from the channel's history (100
            // publications by default): a window deeper than that loses publications by design.
            window = Math.Min(window, LongPollWindow);
        }
        var clock = Stopwatch.StartNew();
        long last = 0;
        progress.Detail = () =>
        {
            var d = counters.Deliveries;
            var rate = (d - last) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
            last = d;
            clock.Restart();
            return $"{rate / 1000:0}k deliveries/s";
        };
        var rows = new List<(int Window, TimeSpan Warmup, string Suffix)> { (window, settings.Warmup, "") };
        if (inFlightRows)
        {
            rows.AddRange(settings.InFlight.Select(n => (n, settings.InFlightSettle, $"@if{n}")));
        }
        foreach (var (messages, warmup, suffix) in rows)
        {
            using (var stop = new CancellationTokenSource())
            {
                var loop = Phases.ClosedLoopAsync(Publish, counters, perMessage, messages, stop.Token);
                progress.Stage = suffix.Length == 0 ? "warm-up" : $"{messages} in flight: settle";
                await Task.Delay(warmup, cancellation);
                progress.Stage = suffix.Length == 0 ? "saturate" : $"{messages} in flight";
                var measure = await Window.StartAsync(target);
                var d0 = counters.Deliveries;
                await Task.Delay(settings.Measure, cancellation);
                var d1 = counters.Deliveries;
                await measure.StopAsync();
                await stop.CancelAsync();
                await loop;
                measure.Report(result, "delivery", "deliveries", d1 - d0, suffix: suffix);
                result.Metrics[$"window_messages{suffix}"] = messages;
            }
            progress.Stage = "drain";
            // A deep window on a slow server (512 publications to 1k subscribers on socket.io: ~6 s
            // of work) may need longer than the usual drain; three times its work at the measured rate.
            var rate = result.Metric($"deliveries_per_s{suffix}") ?? 0;
            var drain = rate > 0 ? TimeSpan.FromSeconds(Math.Max(settings.Drain.TotalSeconds, 3.0 * messages * perMessage / rate)) : settings.Drain;
            if (!await Phases.UntilAsync(() => counters.Deliveries >= Volatile.Read(ref expected), drain))
            {
                result.Fail($"{Volatile.Read(ref expected) - counters.Deliveries} of {Volatile.Read(ref expected)} deliveries missing after the saturation phase{(suffix.Length == 0 ? "" : $" with {messages} in flight")}"
                    + (wire == SubscriberWire.LongPoll ? $" ({ChannelLongPollConnection.Discontinuities - discontinuities0} long-poll discontinuities: history trimmed past a poller's cursor)" : ""));
                return;
            }
        }

        // Latency at fixed offered rates.
        var saturation = result.Metric("deliveries_per_s") ?? 0;
        var rates = new List<(string Key, double DeliveriesPerSecond)>();
        if (fixedRate is not null)
        {
            rates.Add(("@fixed", fixedRate(settings)));
        }
        if (saturation > 0)
        {
            rates.Add(("@half", saturation / 2));
        }
        foreach (var (key, deliveriesPerSecond) in rates)
        {
            progress.Stage = $"latency {Phases.Rate(deliveriesPerSecond)}";
            var histogram = new LatencyHistogram();
            counters.DeliveryLatency = histogram;
            var phase = await Window.StartAsync(target);
            var d0 = counters.Deliveries;
            var loop = await Phases.OpenLoopAsync(Publish, deliveriesPerSecond / perMessage, settings.LatencyPhase);
            var drained = await Phases.UntilAsync(() => counters.Deliveries >= Volatile.Read(ref expected), settings.Drain);
            await phase.StopAsync();
            counters.DeliveryLatency = null;
            result.Metrics[$"rate{key}"] = deliveriesPerSecond;
            // CPU per delivery at this offered rate, beside its latency: what a server spends below saturation.
            phase.Report(result, "delivery", "deliveries", counters.Deliveries - d0, suffix: key);
            Phases.ReportLatency(result, key, histogram);
            Phases.ReportTicks(result, key, loop, settings.LatencyPhase);
            if (!drained)
            {
                result.Fail($"{Volatile.Read(ref expected) - counters.Deliveries} deliveries missing after the latency phase {key}");
                return;
            }
        }
        result.Metrics["lost"] = Volatile.Read(ref expected) - counters.Deliveries;
        if (wire == SubscriberWire.LongPoll)
        {
            result.Metrics["longpoll_discontinuities"] = ChannelLongPollConnection.Discontinuities - discontinuities0;
        }
        CheckCloses(result, counters);
    }
}

/// <summary>How a fan-out scenario's subscribers connect (the publisher is always on a WebSocket).</summary>
internal enum SubscriberWire
{
    WebSocket,
    Sse,

    /// <summary>Socket.IO on Engine.IO long-polling (S8-poll).</summary>
    EnginePolling,

    /// <summary>Switchboard's channel long-poll (S8-longpoll).</summary>
    LongPoll,
}
