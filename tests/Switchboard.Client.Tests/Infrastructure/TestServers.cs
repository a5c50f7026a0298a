using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Hosting;
using Switchboard.AspNetCore;
using Switchboard.Engine;
using Switchboard.SocketIO;
using Switchboard.Protocols;

namespace Switchboard.Client.Tests.Infrastructure;

/// <summary>
/// The two servers every wire test runs against, started once for the test class: Switchboard (a real
/// Kestrel on a loopback port) and Node's socket.io 4.8 (tests/interop/dotnet-client/node-echo-server.mjs),
/// with the same handlers and connection state recovery on in both.
/// </summary>
public sealed class TestServers : IAsyncLifetime
{
    private WebApplication? _switchboard;
    private Process? _node;
    private Task<string>? _nodeErrors;

    public const string Switchboard = "switchboard";
    public const string Node = "node";

    public static TheoryData<string> Both => [Switchboard, Node];

    /// <summary>Each server over WebSocket, and over long-polling that upgrades to WebSocket.</summary>
    public static TheoryData<string, ClientTransport> BothOverBothTransports => new()
    {
        { Switchboard, ClientTransport.WebSocket },
        { Node, ClientTransport.WebSocket },
        { Switchboard, ClientTransport.Polling },
        { Node, ClientTransport.Polling },
    };

    public Uri SwitchboardUri { get; private set; } = null!;

    public Uri NodeUri { get; private set; } = null!;

    public Uri this[string server] => server == Node ? NodeUri : SwitchboardUri;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(StartSwitchboardAsync(), StartNodeAsync());
    }

    public async Task DisposeAsync()
    {
        if (_node is { HasExited: false })
        {
            _node.Kill(entireProcessTree: true);
            await _node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        // DEBUG=engine* node-echo-server.mjs logs to stderr: CLIENT_TESTS_NODE_LOG=<file> keeps it.
        if (Environment.GetEnvironmentVariable("CLIENT_TESTS_NODE_LOG") is { Length: > 0 } log && _nodeErrors is not null)
        {
            await File.WriteAllTextAsync(log, await _nodeErrors.WaitAsync(TimeSpan.FromSeconds(5)));
        }
        _node?.Dispose();
        if (_switchboard is not null)
        {
            await _switchboard.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await _switchboard.DisposeAsync();
        }
    }

    private async Task StartSwitchboardAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.AddSwitchboard(options => options.Recovery = new ConnectionStateRecoveryOptions());
        var app = builder.Build();
        app.MapSocketIO("/socket.io", io =>
        {
            io.Use((socket, next) =>
            {
                if (socket.Handshake.Auth.ValueKind == JsonValueKind.Object && socket.Handshake.Auth.TryGetProperty("refuse", out _))
                {
                    throw new SocketConnectException("refused", new { code = 42 });
                }
                return next();
            });
            io.OnConnection(Handlers);
            io.Of("/chat").OnConnection(Handlers);
        });
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        SwitchboardUri = new Uri(address + "/");
        _switchboard = app;
    }

    /// <summary>The handlers of node-echo-server.mjs, in C#.</summary>
    private static void Handlers(Socket socket)
    {
        socket.On("echo", e => e.Ack(e.Args));
        socket.On("echo-event", e => e.Socket.Emit("echo-event", e.Args));
        socket.On("where", e => e.Ack(e.Socket.Namespace.Name));
        socket.On("whoami", e => e.Ack(e.Socket.Id, e.Socket.Handshake.Auth.ValueKind == JsonValueKind.Object && e.Socket.Handshake.Auth.TryGetProperty("user", out var user) ? user : null));
        socket.On("join", e =>
        {
            e.Socket.Join(e.Args.Get<string>(0)!);
            e.Ack(true);
        });
        socket.On("publish", async e =>
        {
            await e.Socket.Namespace.To(e.Args.Get<string>(0)!).EmitAsync("news", e.Args[1]);
            e.Ack(true);
        });
        socket.On("ask", async e =>
        {
            var answer = await e.Socket.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("question", e.Args[0]);
            e.Ack(answer[0]);
        });
        socket.On("kill", e => e.Socket.Connection.Close(DisconnectCode.ClientClosed));
    }

    private async Task StartNodeAsync()
    {
        var script = Path.Combine(RepoRoot(), "tests", "interop", "dotnet-client", "node-echo-server.mjs");
        var start = new ProcessStartInfo("node", [script, "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        var node = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        _node = node;
        var errors = _nodeErrors = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = await node.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                throw new InvalidOperationException("node-echo-server.mjs exited: " + await errors);
            }
            if (line.StartsWith("listening ", StringComparison.Ordinal))
            {
                NodeUri = new Uri($"http://127.0.0.1:{int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture)}/");
                return;
            }
        }
    }

    /// <summary>SWITCHBOARD_REPO_ROOT (test.sh sets it), else the first parent of the test binaries holding Switchboard.slnx.</summary>
    public static string RepoRoot()
    {
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_REPO_ROOT") is { Length: > 0 } root)
        {
            return root;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Repository root not found; set SWITCHBOARD_REPO_ROOT.");
    }
}

public static class Timeouts
{
    /// <summary>How long any single awaited event may take before the test fails.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(5);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Default);

    public static Task Within(this Task task) => task.WaitAsync(Default);
}
