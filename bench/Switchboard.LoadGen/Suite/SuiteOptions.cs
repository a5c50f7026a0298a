using Switchboard.LoadGen.Scenarios;
using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Suite;

/// <summary>What <c>loadgen suite</c> runs: which servers and scenarios, how many rounds, where results go.</summary>
internal sealed record SuiteOptions
{
    public required BenchPaths Paths { get; init; }

    public required ScenarioSettings Settings { get; init; }

    public required IReadOnlyList<ServerSpec> Servers { get; init; }

    public required IReadOnlyList<Scenario> Scenarios { get; init; }

    public int Rounds { get; init; } = 3;

    /// <summary>Run Switchboard a second time in every round, to show the noise band.</summary>
    public bool SwitchboardTwice { get; init; } = true;

    /// <summary>The core servers are pinned to (taskset -c); null to leave them unpinned.</summary>
    public int? ServerCore { get; init; } = 0;

    /// <summary>One server process per server for all scenarios (smoke), instead of a fresh one per scenario.</summary>
    public bool ReuseServers { get; init; }

    public WireKind Wire { get; init; } = WireKind.Raw;

    /// <summary>Run a failed scenario once more before counting it as failed (smoke).</summary>
    public bool RetryFailures { get; init; }

    public required string OutputDirectory { get; init; }

    public int BasePort { get; init; } = 5300;

    public TimeSpan ScenarioTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public Dictionary<string, string> ServerEnvironment { get; init; } = [];

    public string CommandLine { get; init; } = "";
}
