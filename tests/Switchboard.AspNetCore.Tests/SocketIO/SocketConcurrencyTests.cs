using System.Text.RegularExpressions;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

public sealed class SocketConcurrencyTests(UnthrottledSocketIOFixture fixture) : IClassFixture<UnthrottledSocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    /// <summary>
    /// A binary packet is its text frame followed by its attachment frames, and the client pairs them by
    /// position. Emits to one socket from several threads (handlers of different connections, timers,
    /// acks) must therefore never interleave one packet's frames with another's.
    /// </summary>
    [Fact]
    public async Task Concurrent_binary_emits_to_one_socket_keep_each_packet_and_its_attachments_together()
    {
        // The frames of one packet must stay together whatever the scheduling; many packets with many
        // attachments from two threads make an interleaving all but certain when they are not.
        const int threads = 2;
        const int perThread = 1500;
        const int attachments = 8;
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var socket = SocketIOFixture.ServerSocket(nsp, await client.JoinAsync(nsp.Name));
        using var start = new Barrier(threads);

        var emitters = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(Timeouts.Default);
            for (var i = 0; i < perThread; i++)
            {
                var args = new object?[attachments + 1];
                args[0] = $"{t}:{i}";
                for (var a = 0; a < attachments; a++)
                {
                    args[a + 1] = new byte[] { (byte)t, (byte)(i >> 8), (byte)i, (byte)a };
                }
                socket.Emit("bin", [.. args]);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(emitters).Within();

        var header = new Regex($"^45{attachments}-{Regex.Escape(nsp.Name)},\\[\"bin\",\"(\\d+):(\\d+)\"");
        for (var n = 0; n < threads * perThread; n++)
        {
            var text = await client.ReceiveTextAsync();
            var match = header.Match(text);
            Assert.True(match.Success, $"Packet {n}: expected a binary event header, got '{text}'.");
            var t = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var i = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            for (var a = 0; a < attachments; a++)
            {
                var frame = await client.Engine.ReceiveAsync();
                Assert.True(
                    frame.IsBinary && frame.Data.SequenceEqual(new byte[] { (byte)t, (byte)(i >> 8), (byte)i, (byte)a }),
                    $"Packet {n} ({t}:{i}), attachment {a}: got {frame} instead.");
            }
        }
    }

    /// <summary>
    /// A broadcast to a small room is written on the publishing thread to a member whose writer is idle
    /// (SocketAdapter.DirectRoomSize), and queued otherwise. Room broadcasts from several threads must still
    /// keep each thread's order and each binary packet's frames together.
    /// </summary>
    [Fact]
    public async Task Concurrent_broadcasts_to_a_small_room_keep_each_publishers_order_and_packets_whole()
    {
        const int threads = 3;
        const int perThread = 1000;
        const int attachments = 2;
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var socket = SocketIOFixture.ServerSocket(nsp, await client.JoinAsync(nsp.Name));
        socket.Join("small");
        using var start = new Barrier(threads);

        var publishers = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(Timeouts.Default);
            for (var i = 0; i < perThread; i++)
            {
                // Every other one binary: text frames and frame groups interleave from the same threads.
                if (i % 2 == 0)
                {
                    nsp.To("small").EmitAsync("bin", $"{t}:{i}", new byte[] { (byte)t, (byte)(i >> 8), (byte)i, 0 }, new byte[] { (byte)t, (byte)(i >> 8), (byte)i, 1 }).GetAwaiter().GetResult();
                }
                else
                {
                    nsp.To("small").EmitAsync("txt", $"{t}:{i}").GetAwaiter().GetResult();
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(publishers).Within();

        var next = new int[threads];
        var packet = new Regex($"^4(?:2|5{attachments}-){Regex.Escape(nsp.Name)},\\[\"(bin|txt)\",\"(\\d+):(\\d+)\"");
        for (var n = 0; n < threads * perThread; n++)
        {
            var text = await client.ReceiveTextAsync();
            var match = packet.Match(text);
            Assert.True(match.Success, $"Packet {n}: expected an event, got '{text}'.");
            var t = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            var i = int.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(i == next[t], $"Packet {n}: publisher {t} sent {i} where {next[t]} was due.");
            next[t]++;
            if (match.Groups[1].Value == "bin")
            {
                for (var a = 0; a < attachments; a++)
                {
                    var frame = await client.Engine.ReceiveAsync();
                    Assert.True(
                        frame.IsBinary && frame.Data.SequenceEqual(new byte[] { (byte)t, (byte)(i >> 8), (byte)i, (byte)a }),
                        $"Packet {n} ({t}:{i}), attachment {a}: got {frame} instead.");
                }
            }
        }
        Assert.All(next, count => Assert.Equal(perThread, count));
    }

    /// <summary>
    /// An ack may be sent on the thread that handled the event, when the connection's writer is idle
    /// (EngineSession.SendDirect). It keeps its place among the handler's own emits, and acks from the
    /// receiving thread and binary emits from another thread never interleave one packet's frames or
    /// reorder either thread's packets.
    /// </summary>
    [Fact]
    public async Task Acks_keep_their_place_among_emits_from_the_handler_and_from_another_thread()
    {
        const int acks = 2000;
        const int emits = 2000;
        var nsp = fixture.NewNamespace();
        nsp.On("ordered", e =>
        {
            e.Socket.Emit("before");
            e.Ack("ack");
            e.Socket.Emit("after");
        });
        nsp.On("first", e =>
        {
            e.Ack("ack");
            e.Socket.Emit("after");
        });
        nsp.On("n", e => e.Ack(e.Arg<int>(), new byte[] { 7 }));
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var socket = SocketIOFixture.ServerSocket(nsp, await client.JoinAsync(nsp.Name));

        await client.SendAsync($"42{nsp.Name},1[\"ordered\"]");
        Assert.Equal($"42{nsp.Name},[\"before\"]", await client.ReceiveTextAsync());
        Assert.Equal($"43{nsp.Name},1[\"ack\"]", await client.ReceiveTextAsync());
        Assert.Equal($"42{nsp.Name},[\"after\"]", await client.ReceiveTextAsync());
        await client.SendAsync($"42{nsp.Name},2[\"first\"]");
        Assert.Equal($"43{nsp.Name},2[\"ack\"]", await client.ReceiveTextAsync());
        Assert.Equal($"42{nsp.Name},[\"after\"]", await client.ReceiveTextAsync());

        var emitter = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < emits; i++)
            {
                socket.Emit("bin", i, new byte[] { (byte)i, (byte)(i >> 8) });
            }
        }, TaskCreationOptions.LongRunning);
        for (var i = 0; i < acks; i++)
        {
            await client.SendAsync($"42{nsp.Name},{i}[\"n\",{i}]");
        }
        await emitter.Within();

        var ack = new Regex($"^461-{Regex.Escape(nsp.Name)},(\\d+)\\[(\\d+),");
        var emit = new Regex($"^451-{Regex.Escape(nsp.Name)},\\[\"bin\",(\\d+),");
        var nextAck = 0;
        var nextEmit = 0;
        while (nextAck < acks || nextEmit < emits)
        {
            var text = await client.ReceiveTextAsync();
            var attachment = await client.ReceiveBinaryAsync();
            if (ack.Match(text) is { Success: true } a)
            {
                Assert.Equal(nextAck.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Groups[1].Value);
                Assert.Equal(a.Groups[1].Value, a.Groups[2].Value);
                Assert.Equal(new byte[] { 7 }, attachment);
                nextAck++;
            }
            else
            {
                var e = emit.Match(text);
                Assert.True(e.Success, $"Expected an ack or an emit, got '{text}'.");
                Assert.Equal(nextEmit.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Groups[1].Value);
                Assert.Equal(new byte[] { (byte)nextEmit, (byte)(nextEmit >> 8) }, attachment);
                nextEmit++;
            }
        }
    }

    [Fact]
    public async Task A_socket_whose_connection_closes_during_middleware_never_joins_the_namespace()
    {
        var nsp = fixture.NewNamespace();
        var inMiddleware = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connected = false;
        nsp.Use(async (_, next) =>
        {
            inMiddleware.TrySetResult();
            await release.Task;
            try
            {
                await next();
            }
            finally
            {
                finished.TrySetResult();
            }
        });
        nsp.OnConnection(_ => connected = true);
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        await client.SendAsync($"40{nsp.Name},");
        await inMiddleware.Task.Within();

        await client.Engine.CloseAsync();
        await client.Engine.Closed.Within();
        release.SetResult();

        await finished.Task.Within();
        Assert.Empty(nsp.Sockets);
        Assert.Empty(await nsp.FetchSocketsAsync().Within());
        Assert.False(connected);
    }

    [Fact]
    public async Task A_client_can_leave_and_rejoin_a_namespace_on_the_same_connection()
    {
        var nsp = fixture.NewNamespace();
        nsp.On("echo", e => e.Ack(e.Args));
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var first = await client.JoinAsync(nsp.Name);
        await client.SendAsync($"41{nsp.Name},");

        var second = await client.JoinAsync(nsp.Name);

        Assert.NotEqual(first, second);
        Assert.Equal([second], nsp.Sockets.Keys);
        await client.SendAsync($"42{nsp.Name},1[\"echo\",\"back\"]");
        Assert.Equal($"43{nsp.Name},1[\"back\"]", await client.ReceiveTextAsync());
    }
}

/// <summary>The concurrency tests send thousands of events at once: the event rate limit (docs/protection.md) is off.</summary>
public sealed class UnthrottledSocketIOFixture : SocketIOFixture
{
    protected override void ConfigureOptions(SocketServerOptions options)
    {
        base.ConfigureOptions(options);
        options.Limits.EventsPerSecond = 0;
        options.Limits.EventBytesPerSecond = 0;
    }
}
