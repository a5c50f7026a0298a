namespace Switchboard.LoadGen.Scenarios;

/// <summary>Sizes and durations of every scenario: the full run, or the CI smoke (a few hundred connections, about a second each).</summary>
internal sealed record ScenarioSettings
{
    public bool Smoke { get; init; }

    public int IdleConnections { get; init; } = 19_000;
    public int IdleRoomSize { get; init; } = 100;
    public TimeSpan IdleSettle { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>Longer than the 25 s ping interval of Socket.IO, so every connection is pinged once in it.</summary>
    public TimeSpan IdleWindow { get; init; } = TimeSpan.FromSeconds(30);

    public int FanOutSmall { get; init; } = 1_000;
    public int FanOutLarge { get; init; } = 10_000;
    public int Rooms { get; init; } = 1_000;
    public int RoomSize { get; init; } = 10;
    public int EchoConnections { get; init; } = 1_000;
    public int StormConnections { get; init; } = 10_000;
    public int StormParallelism { get; init; } = 256;
    public int SseSubscribers { get; init; } = 1_000;

    /// <summary>S8-poll and S8-longpoll: subscribers each holding one long-poll request.</summary>
    public int PollSubscribers { get; init; } = 1_000;

    /// <summary>
    /// The fixed offered rate of the polling scenarios (deliveries per second): 10 publications a second
    /// to 1,000 pollers, a rate at which every answer carries one or a few publications.
    /// </summary>
    public int PollFixedRate { get; init; } = 10_000;

    public int ConnectParallelism { get; init; } = 128;
    // Long enough for the JIT to finish on a server sharing its core with others (S6: two nodes and
    // Redis); with 2 s, S6's nodes were still compiling at tier 1 while measured (docs/performance.md).
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(8);
    public TimeSpan Measure { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan LatencyPhase { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The fixed offered rate of the S2 latency comparison (deliveries per second, 1k subscribers).</summary>
    public int FixedDeliveryRate { get; init; } = 40_000;
    public int FixedEchoRate { get; init; } = 10_000;

    /// <summary>
    /// The extra saturation rows of S2-1k and S3 (publications in flight) and of S4 (echoes in flight,
    /// spread over all the connections): one closed-loop measurement per value, after the default one
    /// (16,000 deliveries in flight; one echo per connection). Empty for none.
    /// </summary>
    public IReadOnlyList<int> InFlight { get; init; } = [8, 64, 512];

    /// <summary>How long each in-flight row runs before its window, after the previous row drained (the JIT is warm by then).</summary>
    public TimeSpan InFlightSettle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How the generator's sockets complete (<see cref="Wire.GeneratorSockets"/>): epoll or pool; recorded with the results.</summary>
    public string Pacing { get; init; } = Wire.GeneratorSockets.Epoll;

    public static ScenarioSettings Full { get; } = new();

    public static ScenarioSettings SmokeRun { get; } = new()
    {
        Smoke = true,
        IdleConnections = 300,
        IdleRoomSize = 50,
        IdleSettle = TimeSpan.FromMilliseconds(300),
        IdleWindow = TimeSpan.FromMilliseconds(500),
        FanOutSmall = 200,
        FanOutLarge = 300,
        Rooms = 30,
        RoomSize = 10,
        EchoConnections = 200,
        StormConnections = 400,
        StormParallelism = 64,
        SseSubscribers = 200,
        PollSubscribers = 100,
        PollFixedRate = 2_000,
        ConnectParallelism = 64,
        Warmup = TimeSpan.FromMilliseconds(200),
        Measure = TimeSpan.FromMilliseconds(600),
        LatencyPhase = TimeSpan.FromMilliseconds(300),
        Drain = TimeSpan.FromSeconds(10),
        FixedDeliveryRate = 20_000,
        FixedEchoRate = 2_000,
        InFlight = [8],
        InFlightSettle = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>Everything scaled down for development runs (<c>--scale 0.1</c>); durations stay.</summary>
    public ScenarioSettings Scaled(double factor)
    {
        int S(int n, int min) => Math.Max(min, (int)(n * factor));
        return this with
        {
            IdleConnections = S(IdleConnections, 50),
            FanOutSmall = S(FanOutSmall, 20),
            FanOutLarge = S(FanOutLarge, 50),
            Rooms = S(Rooms, 5),
            EchoConnections = S(EchoConnections, 20),
            StormConnections = S(StormConnections, 50),
            SseSubscribers = S(SseSubscribers, 20),
            PollSubscribers = S(PollSubscribers, 20),
        };
    }
}
