using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Switchboard.Client.Channels;
using Switchboard.Client.Tests.Infrastructure;

namespace Switchboard.Client.Tests.Channels;

/// <summary>
/// The .NET channel client against the expectations of the protocol conformance suite
/// (tests/interop/conformance/expectations.mjs, clientScenarios), the same scenarios the JS client meets
/// in channels-client-conformance.test.mjs: the suite's scripted server (scripted-server-cli.mjs, run
/// with node) plays, connection by connection, the frames a conforming server sends when a connection
/// drops, a resume succeeds, a discontinuity is reported or the server closes for good, and records
/// where the client asked for another position than the script expects. Docs: docs/conformance.md.
/// </summary>
[Collection(ChannelClientCollection.Name)]
public sealed class ChannelConformanceTests : IAsyncLifetime
{
    private Process? _node;
    private HttpClient _control = null!;
    private Uri _server = null!;

    public async Task InitializeAsync()
    {
        var script = Path.Combine(TestServers.RepoRoot(), "tests", "interop", "conformance", "scripted-server-cli.mjs");
        var start = new ProcessStartInfo("node", [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        _node = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var errors = _node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await _node.StandardOutput.ReadLineAsync(timeout.Token)
            ?? throw new InvalidOperationException("scripted-server-cli.mjs exited: " + await errors);
        Assert.StartsWith("listening ", line, StringComparison.Ordinal);
        _server = new Uri(line["listening ".Length..]);
        _control = new HttpClient { BaseAddress = _server };
    }

    public async Task DisposeAsync()
    {
        _control.Dispose();
        if (_node is { } node)
        {
            node.StandardInput.Close(); // the script exits when its stdin closes
            if (!node.WaitForExit(5_000))
            {
                node.Kill();
            }
            node.Dispose();
        }
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Every_client_scenario_of_the_conformance_suite_is_met_on_its_transport()
    {
        var scenarios = await _control.GetFromJsonAsync<List<Scenario>>("/__script/scenarios", JsonSerializerOptions.Web).Within();
        Assert.NotNull(scenarios);
        // Each transport's resume, discontinuity and final close are in the suite's expectations.
        Assert.Equal(["poll", "sse", "ws"], scenarios.Select(s => s.Transport).Distinct().Order());
        foreach (var scenario in scenarios)
        {
            await MeetAsync(scenario);
        }
    }

    private async Task MeetAsync(Scenario scenario)
    {
        var label = $"{scenario.Section}: {scenario.Name}";
        (await _control.PostAsync(new Uri($"/__script/play/{scenario.Index}", UriKind.Relative), null).Within()).EnsureSuccessStatusCode();
        var logger = new LogRecorder();
        var options = ChannelTestKit.Options(TransportOf(scenario.Transport), logger) with { LongPollTimeout = TimeSpan.FromSeconds(1) };
        await using var client = new ChannelClient(_server, options);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += state =>
        {
            if (state == ChannelClientState.Closed)
            {
                closed.TrySetResult();
            }
        };
        await using var subscription = client.Subscribe(scenario.Channel);
        var publications = new List<(long Offset, string? Data)>();
        var discontinuities = new List<(string Channel, long Offset, string Epoch)>();
        // Held open until the checks are done: leaving the loop unsubscribes, and a client with no channel
        // rightly makes no further poll or reconnection, which the script would miss.
        await using var items = subscription.GetAsyncEnumerator();
        if (scenario.Expect.ClosedWith is { } code)
        {
            await closed.Task.WaitAsync(Timeouts.Default * 2).ConfigureAwait(false);
            Assert.True(code == client.CloseError?.Code, $"{label}: closed with {client.CloseError?.Code}, expected {code}");
        }
        else
        {
            var wanted = scenario.Expect.Publications.Count + scenario.Expect.Discontinuities.Count;
            foreach (var item in await items.TakeAsync(wanted))
            {
                if (item is ChannelPublication p)
                {
                    publications.Add((p.Position.Offset, p.Data.GetRawText()));
                }
                else if (item is ChannelDiscontinuity d)
                {
                    discontinuities.Add((d.Channel, d.Position.Offset, d.Position.Epoch));
                }
            }
        }
        Assert.True(scenario.Expect.Publications.Select(p => (p[0].GetInt64(), (string?)p[1].GetRawText())).SequenceEqual(publications),
            $"{label}: publications {string.Join(", ", publications)}");
        Assert.True(scenario.Expect.Discontinuities.Select(d => (d.Channel, d.Offset, d.Epoch)).SequenceEqual(discontinuities),
            $"{label}: discontinuities {string.Join(", ", discontinuities)}");
        // What the client asks for after its last delivery (the next poll, a reconnection) may still be on its
        // way: the script says when the client has made every connection it scripts (or 5 s passed).
        using (var reached = await _control.GetAsync(new Uri($"/__script/reached/{scenario.Connections}", UriKind.Relative)).WaitAsync(Timeouts.Default * 3))
        {
            Assert.True(reached.IsSuccessStatusCode,
                $"{label}: {await reached.Content.ReadAsStringAsync().Within()}; the client's log: {string.Join(" | ", logger.Entries.Select(e => e.Message))}");
        }
        var state = await _control.GetFromJsonAsync<ScriptState>("/__script/state", JsonSerializerOptions.Web).Within();
        Assert.NotNull(state);
        Assert.True(state.Problems.Count == 0, $"{label}: {string.Join("; ", state.Problems)}");
        Assert.True(scenario.Connections == state.Connections, $"{label}: {state.Connections} connection(s), the script has {scenario.Connections}");
        logger.AssertNoErrors();
    }

    private static ChannelTransport TransportOf(string name) => name switch
    {
        "ws" => ChannelTransport.WebSocket,
        "sse" => ChannelTransport.ServerSentEvents,
        "poll" => ChannelTransport.LongPoll,
        _ => throw new InvalidOperationException($"unknown transport {name}"),
    };

    private sealed record Scenario(int Index, string Name, string Section, string Transport, string Channel, Expectation Expect, int Connections);

    private sealed record Expectation(List<JsonElement[]> Publications, List<ExpectedDiscontinuity> Discontinuities, string? ClosedWith);

    private sealed record ExpectedDiscontinuity(string Channel, long Offset, string Epoch);

    private sealed record ScriptState(int Connections, List<string> Problems);
}
