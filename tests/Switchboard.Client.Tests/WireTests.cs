using System.Text.Json;
using Switchboard.Client.Tests.Infrastructure;

namespace Switchboard.Client.Tests;

/// <summary>
/// The client on real wires, each case against Switchboard and against Node's socket.io 4.8 running the
/// same handlers (<see cref="TestServers"/>), over WebSocket and over long-polling with the upgrade.
/// </summary>
public sealed class WireTests(TestServers servers) : ClientTests, IClassFixture<TestServers>
{
    private SocketIOClient NewClient(string server, ClientTransport transport, SocketIOClientOptions? options = null) =>
        NewClient(servers[server], transport, options);

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task Connect_sends_the_auth_payload_and_gets_a_socket_id(string server, ClientTransport transport)
    {
        var socket = NewClient(server, transport).Socket("/", new { user = "ada" });
        var connected = 0;
        socket.Connected += () => Interlocked.Increment(ref connected);

        await socket.ConnectAsync().Within();

        Assert.True(socket.IsConnected);
        Assert.False(socket.Recovered);
        Assert.Equal(1, connected);
        var who = await socket.EmitWithAckAsync("whoami").Within();
        Assert.Equal(socket.Id, who.Get<string>(0));
        Assert.Equal("ada", who.Get<string>(1));
    }

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task A_refused_connect_surfaces_the_servers_connect_error(string server, ClientTransport transport)
    {
        var socket = NewClient(server, transport).Socket("/", new { refuse = true });
        var raised = new TaskCompletionSource<SocketConnectErrorException>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.ConnectError += e => raised.TrySetResult(e);

        var error = await Assert.ThrowsAsync<SocketConnectErrorException>(() => socket.ConnectAsync().Within());

        Assert.Equal("refused", error.Message);
        Assert.True(error.IsServerRefusal);
        Assert.Equal(42, error.Data!.Value.GetProperty("code").GetInt32());
        Assert.Same(error, await raised.Task.Within());
        Assert.False(socket.Active);
        Assert.False(socket.IsConnected);
    }

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task Emit_with_ack_round_trips_every_argument_and_events_reach_handlers(string server, ClientTransport transport)
    {
        var socket = NewClient(server, transport).Socket();
        var echoed = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.On<string>("echo-event", value => echoed.TrySetResult(value));
        await socket.ConnectAsync().Within();

        var ack = await socket.EmitWithAckAsync("echo", 1, "two", new { three = 3 }, null, new[] { 4, 5 }).Within();

        Assert.Equal(5, ack.Count);
        Assert.Equal(1, ack.Get<int>(0));
        Assert.Equal("two", ack.Get<string>(1));
        Assert.Equal(3, ack[2].GetProperty("three").GetInt32());
        Assert.Equal(JsonValueKind.Null, ack[3].ValueKind);
        Assert.Equal(new[] { 4, 5 }, ack.Get<int[]>(4));

        socket.Emit("echo-event", "hello");
        Assert.Equal("hello", await echoed.Task.Within());
    }

    private sealed record Nested(byte[] Data, string Name);

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task Binary_arguments_round_trip_as_attachments(string server, ClientTransport transport)
    {
        var socket = NewClient(server, transport).Socket();
        await socket.ConnectAsync().Within();
        var first = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var second = new byte[] { 0xFF, 0x00, 0x1E, 0x34 };
        using var cts = new CancellationTokenSource(Timeouts.Default);
        var events = socket.ReadEventsAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        var ack = await socket.EmitWithAckAsync("echo", first, new Nested(second, "n"), "text").Within();

        Assert.Equal(2, ack.Attachments.Count);
        Assert.Equal(first, ack.Get<byte[]>(0));
        var nested = ack.Get<Nested>(1)!;
        Assert.Equal(second, nested.Data);
        Assert.Equal("n", nested.Name);
        Assert.Equal("text", ack.Get<string>(2));

        // Server to client as a BINARY_EVENT, read from the event stream.
        socket.Emit("echo-event", second, "after");
        Assert.True(await events.MoveNextAsync());
        Assert.Equal("echo-event", events.Current.Name);
        Assert.Equal(second, events.Current.Args.Get<byte[]>(0));
        Assert.Equal("after", events.Current.Args.Get<string>(1));
        await events.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task Namespaces_share_one_connection_and_leave_independently(string server, ClientTransport transport)
    {
        var client = NewClient(server, transport);
        var main = client.Socket();
        var chat = client.Socket("/chat");
        Assert.Same(chat, client.Socket("chat"));
        await Task.WhenAll(main.ConnectAsync(), chat.ConnectAsync()).Within();
        var engineId = client.EngineId;
        Assert.NotNull(engineId);

        Assert.Equal("/", await main.EmitWithAckAsync<string>("where").Within());
        Assert.Equal("/chat", await chat.EmitWithAckAsync<string>("where").Within());
        Assert.NotEqual(main.Id, chat.Id);
        Assert.Equal(engineId, client.EngineId);

        chat.Disconnect();
        Assert.False(chat.IsConnected);
        Assert.Equal("/", await main.EmitWithAckAsync<string>("where").Within());
        Assert.Equal(engineId, client.EngineId);
    }

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task The_client_acknowledges_a_servers_emit_with_ack(string server, ClientTransport transport)
    {
        var socket = NewClient(server, transport).Socket("/chat");
        socket.On("question", e => e.Ack(e.Args.Get<int>(0) * 2));
        await socket.ConnectAsync().Within();

        Assert.Equal(42, await socket.EmitWithAckAsync<int>("ask", 21).Within());
    }

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task An_unanswered_emit_times_out_and_a_cancelled_one_stops_waiting(string server, ClientTransport transport)
    {
        var socket = NewClient(server, transport).Socket();
        await socket.ConnectAsync().Within();

        await Assert.ThrowsAsync<SocketAckTimeoutException>(() => socket.Timeout(TimeSpan.FromMilliseconds(100)).EmitWithAckAsync("nobody-listens").Within());

        using var cts = new CancellationTokenSource();
        var pending = socket.WithCancellation(cts.Token).EmitWithAckAsync("nobody-listens");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.Within());
        // The connection is still fine.
        Assert.Equal("/", await socket.EmitWithAckAsync<string>("where").Within());
    }

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task Emits_before_connecting_wait_in_the_offline_buffer_up_to_its_bound(string server, ClientTransport transport)
    {
        var socket = NewClient(server, transport, new SocketIOClientOptions { OfflineBufferLimit = 3 }).Socket();
        var acks = Enumerable.Range(0, 3).Select(i => socket.EmitWithAckAsync<int>("echo", i)).ToArray();

        var full = Assert.Throws<OfflineBufferFullException>(() => socket.Emit("echo", 3));
        Assert.Equal(3, full.Limit);

        await socket.ConnectAsync().Within();
        var values = await Task.WhenAll(acks).Within();
        Assert.Equal(new[] { 0, 1, 2 }, values);
    }

    [Theory]
    [MemberData(nameof(TestServers.BothOverBothTransports), MemberType = typeof(TestServers))]
    public async Task A_killed_transport_reconnects_recovers_and_delivers_missed_events_once(string server, ClientTransport transport)
    {
        var options = new SocketIOClientOptions { ReconnectionDelay = TimeSpan.FromMilliseconds(500), RandomizationFactor = 0 };
        var subscriber = NewClient(server, transport, options);
        var sub = subscriber.Socket();
        var pub = NewClient(server, transport).Socket();
        var room = "news-" + Guid.NewGuid().ToString("N");
        var news = new List<int>();
        var gotNews = new SemaphoreSlim(0);
        sub.On("news", e =>
        {
            lock (news)
            {
                news.Add(e.Args.Get<int>(0));
            }
            gotNews.Release();
        });
        var reasons = new List<DisconnectReason>();
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sub.Disconnected += r =>
        {
            lock (reasons)
            {
                reasons.Add(r);
            }
            disconnected.TrySetResult();
        };
        var reconnected = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.Reconnected += n => reconnected.TrySetResult(n);

        await Task.WhenAll(sub.ConnectAsync(), pub.ConnectAsync()).Within();
        Assert.True(await sub.EmitWithAckAsync<bool>("join", room).Within());
        Assert.True(await pub.EmitWithAckAsync<bool>("publish", room, 1).Within());
        Assert.True(await gotNews.WaitAsync(Timeouts.Default));
        var firstId = sub.Id;
        var connectedAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sub.Connected += () => connectedAgain.TrySetResult();

        sub.Emit("kill");
        await disconnected.Task.Within();
        // The first disconnect is the killed transport. (Read under the lock: once, under load, polling
        // against Switchboard raised a second Disconnected while this was read; under investigation.)
        lock (reasons)
        {
            Assert.Equal(DisconnectReason.TransportClose, reasons[0]);
        }
        Assert.True(sub.Active, "a lost transport keeps the socket active: it reconnects by itself");
        // Missed while away: two publications, and an emit of our own that waits in the offline buffer.
        Assert.True(await pub.EmitWithAckAsync<bool>("publish", room, 2).Within());
        Assert.True(await pub.EmitWithAckAsync<bool>("publish", room, 3).Within());
        var offline = sub.EmitWithAckAsync<string>("echo", "sent while offline");

        await connectedAgain.Task.Within();
        Assert.Equal(1, await reconnected.Task.Within());
        Assert.True(sub.Recovered, "the server restored the session");
        Assert.Equal(firstId, sub.Id);
        Assert.Equal("sent while offline", await offline.Within());
        Assert.True(await pub.EmitWithAckAsync<bool>("publish", room, 4).Within());
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await gotNews.WaitAsync(Timeouts.Default));
        }
        lock (news)
        {
            Assert.Equal([1, 2, 3, 4], news);
        }
    }

    [Theory]
    [MemberData(nameof(TestServers.Both), MemberType = typeof(TestServers))]
    public async Task Polling_without_upgrade_carries_acks_and_binary(string server)
    {
        var client = NewClient(server, ClientTransport.Polling, new SocketIOClientOptions { Upgrade = false });
        var socket = client.Socket();
        var echoed = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.On<byte[]>("echo-event", value => echoed.TrySetResult(value));
        await socket.ConnectAsync().Within();
        Assert.Equal(ClientTransport.Polling, client.Transport);
        var bytes = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();

        var ack = await socket.EmitWithAckAsync("echo", bytes, "text").Within();
        socket.Emit("echo-event", bytes);

        Assert.Equal(bytes, ack.Get<byte[]>(0));
        Assert.Equal("text", ack.Get<string>(1));
        Assert.Equal(bytes, await echoed.Task.Within());
        Assert.Equal(ClientTransport.Polling, client.Transport);
    }

    [Theory]
    [MemberData(nameof(TestServers.Both), MemberType = typeof(TestServers))]
    public async Task Polling_upgrades_to_websocket_in_the_same_session_without_losing_packets(string server)
    {
        var client = NewClient(server, ClientTransport.Polling);
        var upgraded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Upgraded += () => upgraded.TrySetResult();
        var socket = client.Socket();
        await socket.ConnectAsync().Within();
        var session = client.EngineId;

        // Emits in flight while the upgrade happens: each is answered once, whichever transport carried it.
        var acks = Enumerable.Range(0, 50).Select(i => socket.EmitWithAckAsync<int>("echo", i)).ToArray();
        await upgraded.Task.Within();
        var more = Enumerable.Range(50, 10).Select(i => socket.EmitWithAckAsync<int>("echo", i)).ToArray();

        Assert.Equal(Enumerable.Range(0, 60), await Task.WhenAll(acks.Concat(more)).Within());
        Assert.Equal(ClientTransport.WebSocket, client.Transport);
        Assert.Equal(session, client.EngineId);
    }
}
