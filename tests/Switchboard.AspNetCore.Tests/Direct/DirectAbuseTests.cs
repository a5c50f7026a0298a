using System.Collections.Concurrent;
using System.Diagnostics;
using TcpClient = System.Net.Sockets.TcpClient;
using NetworkStream = System.Net.Sockets.NetworkStream;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.Limits;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Transports.Direct;
using Switchboard.Engine;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Direct;

/// <summary>
/// The protection limits (docs/protection.md) with the direct WebSocket mode on (docs/decisions/0015-own-the-connection.md):
/// a stalled reader is cut at its byte budget or its send time limit, connection and handshake floods are refused
/// with the HTTP path's statuses and codes before the 101, and a slow-loris first request is closed at the
/// handshake timeout however it drips. Each test checks that its connections really took the direct path.
/// </summary>
public sealed class DirectAbuseTests
{
    private const long Budget = 256 * 1024;
    private const string EngineTarget = "/socket.io/?EIO=4&transport=websocket";
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(1);
    private static readonly string Big = new('x', 20_000);

    private sealed class Server : IAsyncDisposable
    {
        public TaskCompletionSource<(Socket Socket, DisconnectReason Reason)> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Socket> Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TestHost Host { get; set; } = null!;

        public SocketServer IO { get; set; } = null!;

        public long Taken => Host.Services.GetRequiredService<DirectEndpoints>().Taken;

        /// <summary>The event ids of everything logged at Information or above.</summary>
        public ConcurrentQueue<int> Events { get; } = new();

        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }

    /// <summary>Socket.IO at <c>/socket.io</c> behind the direct mode; every socket joins <c>flood</c>; <c>stall</c> marks the caller.</summary>
    private static async Task<Server> StartAsync(Action<SocketServerOptions> configure)
    {
        var server = new Server();
        server.Host = await TestHost.StartAsync(
            builder =>
            {
                builder.Logging.AddProvider(new EventIds(server.Events));
                builder.Services.AddSwitchboard(configure);
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
                    listen.UseSwitchboardWebSockets(o => o.HandshakeTimeout = HandshakeTimeout)));
            },
            app => app.MapSocketIO("/socket.io", io =>
            {
                server.IO = io;
                io.OnConnection(socket =>
                {
                    socket.Join("flood");
                    socket.Disconnected += (s, reason) =>
                    {
                        if (s.Data.ContainsKey("stalled"))
                        {
                            server.Disconnected.TrySetResult((s, reason));
                        }
                    };
                    socket.On("stall", e =>
                    {
                        e.Socket.Data["stalled"] = true;
                        server.Stalled.TrySetResult(e.Socket);
                        e.Ack("ok");
                        return ValueTask.CompletedTask;
                    });
                });
            }));
        return server;
    }

    [Fact]
    public async Task A_stalled_reader_is_cut_at_its_byte_budget_and_never_holds_more()
    {
        // A send time limit far past the test: only the budget can cut the stalled reader.
        await using var server = await StartAsync(o =>
        {
            o.Engine.MaxQueuedBytes = Budget;
            o.Engine.SendTimeout = TimeSpan.FromMinutes(5);
        });
        await using var reader = await SocketIOTestClient.OpenAsync(server.Host);
        await reader.JoinAsync();
        using var stalled = await NonReadingWebSocket.ConnectStalledEngineAsync(server.Host.BaseAddress);
        var stalledSocket = await server.Stalled.Task.Within();
        Assert.Equal(2, server.Taken);

        // 20 KB to the room, each once the reading client has it, until the stalled reader's network buffers
        // (a few MB; its receive buffer is 4 KB) and its budget are full: at most 2,000.
        long mostQueued = 0;
        for (var i = 1; i <= 2000 && !server.Disconnected.Task.IsCompleted; i++)
        {
            await server.IO.To("flood").EmitAsync("big", i, Big).Within();
            mostQueued = Math.Max(mostQueued, stalledSocket.Connection.Outbound.QueuedBytes);
            var text = await reader.ReceiveTextAsync();
            while (text == "2")
            {
                await reader.SendAsync("3");
                text = await reader.ReceiveTextAsync();
            }
            Assert.StartsWith($"42[\"big\",{i},", text);
        }

        var (socket, reason) = await server.Disconnected.Task.Within();
        Assert.Same(stalledSocket, socket);
        Assert.Equal(DisconnectReason.SlowConsumer, reason);
        Assert.Equal(Protocols.DisconnectCode.SlowConsumer, socket.Connection.CloseCode);
        Assert.True(mostQueued > 0, "the stalled reader's queue never held anything: the flood did not reach it");
        Assert.True(mostQueued <= Budget, $"the stalled reader held {mostQueued} bytes, past its budget of {Budget}");
        Assert.Equal(0, socket.Connection.Outbound.QueuedBytes);
        Assert.Null(server.IO.Engine.Find(socket.Connection.Id));
        // Its connection ends: what the server had sent drains, then the close.
        Assert.True(await stalled.ReceiveUntilClosedAsync(), "the stalled reader's connection stayed open");
    }

    [Fact]
    public async Task A_write_stuck_past_the_send_timeout_drops_the_connection()
    {
        await using var server = await StartAsync(o =>
        {
            o.Engine.MaxQueuedBytes = Budget;
            o.Engine.SendTimeout = TimeSpan.FromMilliseconds(500);
        });
        using var stalled = await NonReadingWebSocket.ConnectStalledEngineAsync(server.Host.BaseAddress);
        Assert.Equal(1, server.Taken);

        // Messages larger than the budget are still sent one at a time when nothing else waits, so the writer
        // stays busy on a connection that does not drain: only the send time limit can end it.
        var huge = new string('y', 2 * (int)Budget);
        for (var i = 0; i < 30 && !server.Disconnected.Task.IsCompleted; i++)
        {
            await server.IO.To("flood").EmitAsync("huge", huge).Within();
            await Task.WhenAny(server.Disconnected.Task, Task.Delay(50));
        }

        var (socket, reason) = await server.Disconnected.Task.Within();
        Assert.Equal(DisconnectReason.SlowConsumer, reason);
        Assert.Null(server.IO.Engine.Find(socket.Connection.Id));
        Assert.True(await stalled.ReceiveUntilClosedAsync(), "the stalled reader's connection stayed open");
    }

    [Fact]
    public async Task A_connection_flood_past_the_per_address_limit_is_refused_before_the_upgrade()
    {
        await using var server = await StartAsync(o => o.Limits.MaxConnectionsPerIp = 3);
        var open = new List<RawWebSocket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var (socket, head) = await RawWebSocket.ConnectAsync(server.Host.BaseAddress, EngineTarget);
                open.Add(socket);
                Assert.StartsWith("HTTP/1.1 101", head);
            }
            var refusals = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                refusals.Add(await RequestToEndAsync(server.Host.BaseAddress, RawWebSocket.HandshakeText(EngineTarget)));
            }

            Assert.All(refusals, answer =>
            {
                Assert.StartsWith("HTTP/1.1 429", answer);
                Assert.Contains("Retry-After: 10\r\n", answer);
                Assert.EndsWith("{\"code\":3,\"message\":\"too_many_connections_per_ip\"}", answer);
            });
            var limiter = server.Host.Services.GetRequiredService<ConnectionLimiter>();
            Assert.Equal(5, limiter.Refused(Admission.TooManyConnectionsPerIp));
            Assert.Equal(8, server.Taken);
            // The connections already open go on, and a closed one frees its slot.
            foreach (var socket in open)
            {
                Assert.StartsWith("0{", (await socket.ReadFrameAsync())!.Text);
                await socket.SendTextAsync("40");
                Assert.StartsWith("40{\"sid\":", (await socket.ReadFrameAsync())!.Text);
            }
            await open[0].DisposeAsync();
            await WaitUntilAsync(() => limiter.Connections < 3);
            var (again, againHead) = await RawWebSocket.ConnectAsync(server.Host.BaseAddress, EngineTarget);
            open[0] = again;
            Assert.StartsWith("HTTP/1.1 101", againHead);
        }
        finally
        {
            foreach (var socket in open)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_handshake_storm_past_the_rate_gets_429_rate_limited()
    {
        await using var server = await StartAsync(o =>
        {
            o.Limits.HandshakesPerSecondPerIp = 0.01;
            o.Limits.HandshakeBurstPerIp = 2;
        });
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => RequestHeadAsync(server.Host.BaseAddress, RawWebSocket.HandshakeText(EngineTarget))));

        Assert.Equal(2, answers.Count(a => a.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)));
        var refused = answers.Where(a => !a.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, refused.Count);
        Assert.All(refused, answer =>
        {
            Assert.StartsWith("HTTP/1.1 429", answer);
            Assert.Contains("Retry-After: 1\r\n", answer);
        });
        Assert.Equal(8, server.Host.Services.GetRequiredService<ConnectionLimiter>().Refused(Admission.RateLimited));
        Assert.Equal(10, server.Taken);
    }

    [Fact]
    public async Task A_slow_loris_dripping_its_first_request_is_closed_at_the_handshake_timeout()
    {
        await using var server = await StartAsync(_ => { });
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.Host.BaseAddress.Host, server.Host.BaseAddress.Port).Within();
        var stream = tcp.GetStream();
        var head = Encoding.ASCII.GetBytes(RawWebSocket.HandshakeText(EngineTarget));
        var watch = Stopwatch.StartNew();

        // One byte every 40 ms: each well inside any idle timeout, the whole head (~150 bytes) in about 6 s.
        var sent = 0;
        var drip = Task.Run(async () =>
        {
            try
            {
                for (; sent < head.Length; sent++)
                {
                    await stream.WriteAsync(head.AsMemory(sent, 1));
                    await Task.Delay(40);
                }
            }
            catch (IOException)
            {
            }
        });
        await ReadToEndAsync(stream);
        var elapsed = watch.Elapsed;

        Assert.True(elapsed >= HandshakeTimeout * 0.9, $"closed after {elapsed}, before the handshake timeout");
        Assert.True(elapsed < HandshakeTimeout * 4, $"closed only after {elapsed}");
        Assert.True(sent < head.Length, $"the whole head ({sent} bytes) arrived before the connection was closed");
        Assert.Equal(0, server.Taken);
        Assert.Contains(1300, server.Events);
        await drip.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends <paramref name="request"/> on a new connection and reads until the server closes it (a refusal closes).</summary>
    private static async Task<string> RequestToEndAsync(Uri baseAddress, string request)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port).Within();
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request)).AsTask().Within();
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer).Within();
        return Encoding.ASCII.GetString(answer.ToArray());
    }

    /// <summary>Sends <paramref name="request"/> on a new connection and returns the answer's head (an upgraded connection stays open until then).</summary>
    private static async Task<string> RequestHeadAsync(Uri baseAddress, string request)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port).Within();
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request)).AsTask().Within();
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer).AsTask().Within();
            if (read == 0)
            {
                break;
            }
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return text.ToString();
    }

    /// <summary>Reads until the server ends the connection (EOF or reset), dropping what it sent; fails if each read takes past the default timeout.</summary>
    private static async Task ReadToEndAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer).AsTask().Within() > 0)
            {
            }
        }
        catch (IOException)
        {
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < Timeouts.Default, "the condition did not hold in time");
            await Task.Delay(10);
        }
    }

    private sealed class EventIds(ConcurrentQueue<int> events) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            events.Enqueue(eventId.Id);
    }
}
