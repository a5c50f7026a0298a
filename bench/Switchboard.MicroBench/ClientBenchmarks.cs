using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Switchboard.Client;

namespace Switchboard.MicroBench;

/// <summary>
/// What the .NET client (src/Switchboard.Client) allocates per round trip, on a real WebSocket to Node's
/// socket.io 4.8 (tests/interop/dotnet-client/node-echo-server.mjs, its own process, so the allocations
/// counted are the client's alone). Per operation: one emit with an acknowledgement and its answer, or
/// one event sent and the same event received back. Needs node and tests/interop's npm packages.
/// </summary>
[MemoryDiagnoser]
public class ClientBenchmarks
{
    private readonly byte[] _binary = new byte[1024];
    private Process? _server;
    private SocketIOClient? _client;
    private ClientSocket _socket = null!;
    private TaskCompletionSource<ReceivedArguments>? _echoed;

    [GlobalSetup]
    public void Setup()
    {
        var root = RepositoryRoot();
        var start = new ProcessStartInfo("node", [Path.Combine(root, "tests", "interop", "dotnet-client", "node-echo-server.mjs"), "0"])
        {
            RedirectStandardOutput = true,
            WorkingDirectory = Path.Combine(root, "tests", "interop"),
        };
        _server = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        // The server prints "listening <port>" once bound.
        var line = _server.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the echo server exited");
        var port = int.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        _client = new SocketIOClient(new Uri($"http://127.0.0.1:{port}"));
        _socket = _client.Socket();
        _socket.On("echo-event", e => _echoed?.TrySetResult(e.Args));
        _socket.ConnectAsync().WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server?.Kill();
        _server?.Dispose();
    }

    /// <summary>An emit with two small arguments and its acknowledgement read as an int.</summary>
    [Benchmark(Baseline = true)]
    public Task<int> AckRoundTrip() => _socket.EmitWithAckAsync<int>("echo", 42, "hello");

    /// <summary>The same with a 1 KiB binary attachment each way (BINARY_EVENT and BINARY_ACK).</summary>
    [Benchmark]
    public Task<ReceivedArguments> AckRoundTripBinary() => _socket.EmitWithAckAsync("echo", _binary);

    /// <summary>An event out and the server's event back, through an <c>On</c> handler.</summary>
    [Benchmark]
    public async Task<ReceivedArguments> EventRoundTrip()
    {
        _echoed = new TaskCompletionSource<ReceivedArguments>(TaskCreationOptions.RunContinuationsAsynchronously);
        _socket.Emit("echo-event", 42, "hello");
        return await _echoed.Task;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("run from inside the repository");
    }
}
