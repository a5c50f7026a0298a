using System.Globalization;
using Switchboard.LoadGen.Cli;
using Switchboard.LoadGen.Clients;
using Switchboard.LoadGen.Report;
using Switchboard.LoadGen.Scenarios;
using Switchboard.LoadGen.Suite;
using Switchboard.LoadGen.Wire;

const string Usage = """
Switchboard load generator and benchmark orchestrator (docs/performance.md).

  loadgen suite [options]     start each server (pinned to a core), run the scenarios in interleaved
                              rounds, write results.json, results.md and latency-*.svg
      --smoke                 a few hundred connections, about a second per scenario; exits non-zero
                              if anything fails to work, last line "N passed, N failed"
      --rounds N              rounds (default 3; smoke 1)
      --servers a,b           of switchboard, socketio, signalr, ceiling (default all), and switchboard-kestrel
                              (handshakes on Kestrel's path, not the direct mode; only when named)
      --scenarios S1,S2-1k    of S1, S2-1k, S2-10k, S3, S4, S5, S7, S6, S6-pair, S6-3, S8-poll, S8-longpoll
                              (default all)
      --once                  Switchboard once per round, not twice
      --scale F               scale connection counts (e.g. 0.1 for a quick development run)
      --idle-window SEC --measure SEC --latency SEC --warmup SEC     phase lengths
      --in-flight 8,64,512    extra saturation rows of S2-1k, S3 (publications in flight) and S4 (echoes
                              in flight over all connections), one per value (default 8,64,512; smoke 8;
                              "none" for none)
      --wire raw|clientws     the generator's WebSocket client (default raw)
      --pacing epoll|pool     epoll (default): the generator's receives complete inline on one epoll thread,
                              each fixed-rate tick's requests written together from one loop; pool: every
                              receive a thread-pool work item (the generator before December 2026)
      --server-core N | --no-pin      core for the servers (default 0; run the generator on another)
      --reuse-servers         one process per server for all scenarios (default in smoke)
      --no-retry              in smoke, count a failed scenario at once (by default it gets one retry)
      --sources N             source addresses 127.0.0.2… (default 8)
      --out DIR               results folder (default bench/results/<time>)
      --configuration C       build configuration of the bench servers (default Release)
      --server-env K=V,...    environment for the server processes (e.g. DOTNET_gcServer=0)
      --base-port N           first port of the servers (default 5300; the suite uses N…N+900)
  loadgen run --url URL [--protocol socketio|signalr] [--pid PID] [--sse-url TEMPLATE] [--longpoll-url TEMPLATE]
              [--scenarios ...]
                              the scenarios against a server that is already running
  loadgen report results.json [--out DIR]     render results.md and the plots again
""";

var cli = new Arguments(args);
if (cli.Positional is ["suite" or "run", ..])
{
    // Before any socket of this process exists (the choice is process-wide).
    GeneratorSockets.Configure(cli.String("pacing"));
}
var command = cli.Positional.Count > 0 ? cli.Positional[0] : "help";
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    return command switch
    {
        "suite" => await SuiteAsync(cli, cancel.Token),
        "run" => await RunAsync(cli, cancel.Token),
        "report" => Report(cli),
        _ => Help(),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"loadgen: {ex.Message}");
    return 2;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("loadgen: cancelled");
    return 130;
}

int Help()
{
    Console.WriteLine(Usage);
    return command == "help" ? 0 : 2;
}

ScenarioSettings Settings(Arguments a)
{
    var smoke = a.Flag("smoke");
    var s = smoke ? ScenarioSettings.SmokeRun : ScenarioSettings.Full;
    if (a.Double("scale") is { } scale)
    {
        s = s.Scaled(scale);
    }
    TimeSpan? Seconds(string name) => a.Double(name) is { } v ? TimeSpan.FromSeconds(v) : null;
    return s with
    {
        IdleWindow = Seconds("idle-window") ?? s.IdleWindow,
        Measure = Seconds("measure") ?? s.Measure,
        LatencyPhase = Seconds("latency") ?? s.LatencyPhase,
        Warmup = Seconds("warmup") ?? s.Warmup,
        IdleConnections = a.Int("idle-connections") ?? s.IdleConnections,
        StormConnections = a.Int("storm-connections") ?? s.StormConnections,
        InFlight = InFlight(a) ?? s.InFlight,
        Pacing = GeneratorSockets.Mode,
    };
}

IReadOnlyList<int>? InFlight(Arguments a)
{
    var values = a.List("in-flight");
    if (values is null)
    {
        return null;
    }
    if (values is ["none"])
    {
        return [];
    }
    return [.. values.Select(v => int.TryParse(v, CultureInfo.InvariantCulture, out var n) && n > 0
        ? n
        : throw new ArgumentException($"--in-flight takes positive counts separated by commas, or none (got '{v}')"))];
}

IReadOnlyList<Scenario> Scenarios(Arguments a) =>
    a.List("scenarios") is { } ids
        ? [.. ids.Select(id => Scenario.All.FirstOrDefault(s => s.Id.Equals(id, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown scenario '{id}' (known: {string.Join(", ", Scenario.All.Select(s => s.Id))})"))]
        : Scenario.All;

WireKind Wire(Arguments a) => a.String("wire") switch
{
    null or "raw" => WireKind.Raw,
    "clientws" or "clientwebsocket" => WireKind.ClientWebSocket,
    var other => throw new ArgumentException($"unknown wire '{other}' (raw, clientws)"),
};

void CheckUnused(Arguments a)
{
    var unused = a.Unused.ToList();
    if (unused.Count > 0)
    {
        throw new ArgumentException($"unknown option(s): {string.Join(", ", unused.Select(u => "--" + u))}");
    }
}

async Task<int> SuiteAsync(Arguments a, CancellationToken cancellation)
{
    var smoke = a.Flag("smoke");
    var settings = Settings(a);
    var root = a.String("root") ?? BenchPaths.FindRoot();
    var paths = new BenchPaths(root, a.String("configuration") ?? "Release");
    var servers = a.List("servers") is { } keys ? keys.Select(ServerSpec.Find).ToList() : [.. ServerSpec.Known.Where(s => s.Key is not ("switchboard-direct" or "switchboard-kestrel"))];
    if (a.Int("sources") is { } sources)
    {
        SourceAddresses.Configure(sources);
    }
    var environment = new Dictionary<string, string>();
    foreach (var pair in a.List("server-env") ?? [])
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        environment[pair[..eq]] = pair[(eq + 1)..];
    }
    var output = a.String("out") ?? Path.Combine(paths.Bench, "results", (smoke ? "smoke-" : "") + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
    var options = new SuiteOptions
    {
        Paths = paths,
        Settings = settings,
        Servers = servers,
        Scenarios = Scenarios(a),
        Rounds = a.Int("rounds") ?? (smoke ? 1 : 3),
        SwitchboardTwice = !a.Flag("once") && !smoke,
        ServerCore = a.Flag("no-pin") ? null : a.Int("server-core") ?? 0,
        ReuseServers = smoke || a.Flag("reuse-servers"),
        RetryFailures = smoke && !a.Flag("no-retry"),
        Wire = Wire(a),
        OutputDirectory = Path.GetFullPath(output),
        ScenarioTimeout = smoke ? TimeSpan.FromSeconds(60) : TimeSpan.FromMinutes(10),
        ServerEnvironment = environment,
        BasePort = a.Int("base-port") ?? 5300,
        CommandLine = "loadgen " + string.Join(' ', args),
    };
    CheckUnused(a);
    Console.Error.WriteLine($"loadgen suite: {options.Scenarios.Count} scenario(s) × {servers.Count} server(s) × {options.Rounds} round(s); generator on CPU(s) {AffinityText()}");
    var run = await new SuiteRunner(options).RunAsync(cancellation);
    ReportWriter.Write(run, options.OutputDirectory);
    Console.Error.WriteLine($"results: {Path.Combine(options.OutputDirectory, "results.md")}");
    return Conclude(run.Results, smoke);
}

async Task<int> RunAsync(Arguments a, CancellationToken cancellation)
{
    var settings = Settings(a);
    var url = new Uri(a.String("url") ?? throw new ArgumentException("--url is required"));
    var protocol = a.String("protocol") switch
    {
        null or "socketio" => ClientProtocol.SocketIO,
        "signalr" => ClientProtocol.SignalR,
        var other => throw new ArgumentException($"unknown protocol '{other}' (socketio, signalr)"),
    };
    var pid = a.Int("pid");
    var sse = a.String("sse-url");
    var name = a.String("name") ?? "target";
    var target = new Target(name, protocol, url, pid, sse, sse is null ? "no --sse-url given" : null, a.Flag("debug-stats"), Wire(a))
    {
        LongPollTemplate = a.String("longpoll-url"),
        PollingUnavailable = protocol == ClientProtocol.SocketIO ? null : "Engine.IO polling needs a Socket.IO server",
    };
    var scenarios = Scenarios(a);
    var output = a.String("out");
    CheckUnused(a);
    var results = new List<ScenarioResult>();
    var started = DateTimeOffset.UtcNow;
    using (var progress = new Progress())
    {
        foreach (var scenario in scenarios)
        {
            var result = new ScenarioResult(scenario.Id, name, 1);
            progress.Header = $"{scenario.Id} {name}:";
            await scenario.RunAsync(new ScenarioContext(target, settings, progress, cancellation), result);
            results.Add(result);
            progress.Log($"{(result.Skipped is not null ? "SKIP" : result.Passed ? "PASS" : "FAIL")} {scenario.Id} {string.Join(", ", result.Metrics.Select(m => $"{m.Key}={MarkdownReport.Format(m.Value)}"))} {result.Skipped} {string.Join("; ", result.Problems)}");
        }
    }
    if (output is not null)
    {
        var machine = MachineInfo.Read();
        ReportWriter.Write(new RunRecord(started, DateTimeOffset.UtcNow, machine, machine.LoadAverage, "loadgen " + string.Join(' ', args), settings, 1, [name], [.. results]), output);
    }
    return Conclude(results, settings.Smoke);
}

int Report(Arguments a)
{
    var file = a.Positional.Count > 1 ? a.Positional[1] : throw new ArgumentException("usage: loadgen report results.json [--out DIR]");
    var output = a.String("out") ?? Path.GetDirectoryName(Path.GetFullPath(file))!;
    CheckUnused(a);
    var run = RunRecord.Read(file);
    ReportWriter.Write(run, output, writeJson: Path.GetFullPath(output) != Path.GetDirectoryName(Path.GetFullPath(file)));
    Console.Error.WriteLine($"wrote {Path.Combine(output, "results.md")}");
    return 0;
}

static int Conclude(IReadOnlyCollection<ScenarioResult> results, bool smoke)
{
    var passed = results.Count(r => r.Passed);
    var failed = results.Count(r => r.Skipped is null && !r.Passed);
    var skipped = results.Count(r => r.Skipped is not null);
    foreach (var r in results.Where(r => r.Skipped is null && !r.Passed))
    {
        Console.WriteLine($"FAILED {r.Scenario} {r.Server} round {r.Round}: {string.Join("; ", r.Problems)}");
    }
    if (skipped > 0)
    {
        Console.WriteLine($"skipped: {string.Join(", ", results.Where(r => r.Skipped is not null).Select(r => $"{r.Scenario} {r.Server} ({r.Skipped})").Distinct())}");
    }
    Console.WriteLine($"{passed} passed, {failed} failed");
    return failed > 0 || passed == 0 ? 1 : 0;
}

static string AffinityText()
{
    try
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        return line?.Split(':')[1].Trim() ?? "?";
    }
    catch (IOException)
    {
        return "?";
    }
}
