using Switchboard.LoadGen.Clients;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>Everything a scenario run needs.</summary>
internal sealed record ScenarioContext(Target Target, ScenarioSettings Settings, Progress Progress, CancellationToken Cancellation)
{
    /// <summary>
    /// Starts Switchboard nodes on the server core (S6: two, S6-3: three), joined on a Redis it starts too
    /// when the first argument is true, or standing alone (S6-pair); null when the server under test is
    /// not Switchboard. The second argument is the number of nodes.
    /// </summary>
    public Func<bool, int, Task<Suite.ClusterUnderTest>>? StartCluster { get; init; }

    public BenchClient NewClient(IClientObserver observer) => BenchClient.Create(Target.Protocol, Target.Wire, observer);
}

/// <summary>One benchmark scenario (S1 … S7).</summary>
internal abstract class Scenario
{
    /// <summary>Short id used on the command line and in results: S1, S2-1k, S2-10k, S3, S4, S5, S7, S6, S6-3, S8-poll.</summary>
    public abstract string Id { get; }

    public abstract string Describe(ScenarioSettings settings);

    public abstract Task RunAsync(ScenarioContext context, ScenarioResult result);

    /// <summary>All scenarios, in run order.</summary>
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new IdleScenario(),
        new FanOutScenario("S2-1k", s => s.FanOutSmall, _ => 1, SubscriberWire.WebSocket, s => s.FixedDeliveryRate, inFlightRows: true),
        new FanOutScenario("S2-10k", s => s.FanOutLarge, _ => 1, SubscriberWire.WebSocket, fixedRate: null),
        new FanOutScenario("S3", s => s.Rooms * s.RoomSize, s => s.Rooms, SubscriberWire.WebSocket, fixedRate: null, inFlightRows: true),
        new EchoScenario(),
        new StormScenario(),
        new FanOutScenario("S7", s => s.SseSubscribers, _ => 1, SubscriberWire.Sse, fixedRate: null),
        new FanOutScenario("S6", s => s.FanOutSmall, _ => 1, SubscriberWire.WebSocket, fixedRate: null, cluster: true),
        new FanOutScenario("S6-pair", s => s.FanOutSmall, _ => 1, SubscriberWire.WebSocket, fixedRate: null, cluster: true, redis: false),
        new FanOutScenario("S6-3", s => s.FanOutSmall, _ => 1, SubscriberWire.WebSocket, fixedRate: null, cluster: true, nodeCount: 3),
        new FanOutScenario("S8-poll", s => s.PollSubscribers, _ => 1, SubscriberWire.EnginePolling, s => s.PollFixedRate),
        new FanOutScenario("S8-longpoll", s => s.PollSubscribers, _ => 1, SubscriberWire.LongPoll, s => s.PollFixedRate),
    ];

    protected static void CheckFleet(ScenarioResult result, Fleet fleet, string what)
    {
        result.Metrics[$"{what}_failures"] = fleet.Failures;
        if (fleet.Failures > 0)
        {
            result.Fail($"{fleet.Failures} of {fleet.Clients.Length} {what} failed to connect ({fleet.FirstError})");
        }
    }

    protected static void CheckCloses(ScenarioResult result, Counters counters)
    {
        if (counters.UnexpectedCloses > 0)
        {
            result.Fail($"{counters.UnexpectedCloses} connections closed unexpectedly ({counters.LastCloseError})");
        }
    }
}
