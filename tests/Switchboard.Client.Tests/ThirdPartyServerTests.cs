using System.Text.Json;
using Switchboard.Client.Tests.Infrastructure;

namespace Switchboard.Client.Tests;

/// <summary>
/// The client against a Socket.IO server written by neither us nor socket.io's authors: Debian's
/// python-socketio 5.7 with aiohttp (<see cref="PythonServer"/>), over WebSocket and over long-polling with
/// the upgrade. It has no connection state recovery, so a reconnection there is a new session.
/// </summary>
public sealed class ThirdPartyServerTests(PythonServer python) : ClientTests, IClassFixture<PythonServer>
{
    public static TheoryData<ClientTransport> Transports => [ClientTransport.WebSocket, ClientTransport.Polling];

    private SocketIOClient NewClient(ClientTransport transport, SocketIOClientOptions? options = null) =>
        NewClient(python.Uri, transport, options);

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Connects_with_auth_and_round_trips_acks_events_and_binary(ClientTransport transport)
    {
        var client = NewClient(transport);
        var socket = client.Socket("/", new { user = "ada" });
        var echoed = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.On<string>("echo-event", value => echoed.TrySetResult(value));
        await socket.ConnectAsync().Within();

        var who = await socket.EmitWithAckAsync("whoami").Within();
        Assert.Equal(socket.Id, who.Get<string>(0));
        Assert.Equal("ada", who.Get<string>(1));

        var ack = await socket.EmitWithAckAsync("echo", 1, "two", new { three = 3 }, null).Within();
        Assert.Equal(4, ack.Count);
        Assert.Equal(1, ack.Get<int>(0));
        Assert.Equal("two", ack.Get<string>(1));
        Assert.Equal(3, ack[2].GetProperty("three").GetInt32());
        Assert.Equal(JsonValueKind.Null, ack[3].ValueKind);

        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var binary = await socket.EmitWithAckAsync("echo", bytes, "text").Within();
        Assert.Equal(bytes, binary.Get<byte[]>(0));
        Assert.Equal("text", binary.Get<string>(1));

        socket.Emit("echo-event", "hello");
        Assert.Equal("hello", await echoed.Task.Within());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_refused_connect_surfaces_the_servers_message_and_data(ClientTransport transport)
    {
        var socket = NewClient(transport).Socket("/", new { refuse = true });

        var error = await Assert.ThrowsAsync<SocketConnectErrorException>(() => socket.ConnectAsync().Within());

        Assert.Equal("refused", error.Message);
        Assert.True(error.IsServerRefusal);
        Assert.Equal(42, error.Data!.Value.GetProperty("code").GetInt32());
        Assert.False(socket.IsConnected);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Namespaces_share_the_connection_and_the_client_answers_the_servers_acks(ClientTransport transport)
    {
        var client = NewClient(transport);
        var main = client.Socket();
        var chat = client.Socket("/chat");
        chat.On("question", e => e.Ack(e.Args.Get<int>(0) * 2));
        await Task.WhenAll(main.ConnectAsync(), chat.ConnectAsync()).Within();

        Assert.Equal("/", await main.EmitWithAckAsync<string>("where").Within());
        Assert.Equal("/chat", await chat.EmitWithAckAsync<string>("where").Within());
        Assert.Equal(42, await chat.EmitWithAckAsync<int>("ask", 21).Within());

        chat.Disconnect();
        Assert.Equal("/", await main.EmitWithAckAsync<string>("where").Within());
    }

    [Fact]
    public async Task Polling_upgrades_to_websocket_in_the_same_session_without_losing_packets()
    {
        var client = NewClient(ClientTransport.Polling);
        var upgraded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Upgraded += () => upgraded.TrySetResult();
        var socket = client.Socket();
        await socket.ConnectAsync().Within();
        var session = client.EngineId;

        var acks = Enumerable.Range(0, 30).Select(i => socket.EmitWithAckAsync<int>("echo", i)).ToArray();
        await upgraded.Task.Within();
        var more = Enumerable.Range(30, 10).Select(i => socket.EmitWithAckAsync<int>("echo", i)).ToArray();

        Assert.Equal(Enumerable.Range(0, 40), await Task.WhenAll(acks.Concat(more)).Within());
        Assert.Equal(ClientTransport.WebSocket, client.Transport);
        Assert.Equal(session, client.EngineId);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_killed_transport_reconnects_as_a_new_session_and_sends_the_offline_buffer(ClientTransport transport)
    {
        var options = new SocketIOClientOptions { ReconnectionDelay = TimeSpan.FromMilliseconds(300), RandomizationFactor = 0 };
        var client = NewClient(transport, options);
        var socket = client.Socket();
        var disconnected = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Disconnected += r => disconnected.TrySetResult(r);
        var reconnected = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += n => reconnected.TrySetResult(n);
        await socket.ConnectAsync().Within();
        var firstId = socket.Id;
        var connectedAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Connected += () => connectedAgain.TrySetResult();

        socket.Emit("kill");
        Assert.Equal(DisconnectReason.TransportClose, await disconnected.Task.Within());
        Assert.True(socket.Active, "a lost transport keeps the socket active: it reconnects by itself");
        var offline = socket.EmitWithAckAsync<string>("echo", "sent while offline");

        // Reconnected says the Engine.IO connection is back; Connected that the namespace is.
        Assert.Equal(1, await reconnected.Task.Within());
        await connectedAgain.Task.Within();
        Assert.True(socket.IsConnected);
        Assert.False(socket.Recovered, "python-socketio 5.7 has no connection state recovery");
        Assert.NotEqual(firstId, socket.Id);
        Assert.Equal("sent while offline", await offline.Within());
    }
}
