using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

public sealed class SocketDisconnectTests(SocketIOFixture fixture) : IClassFixture<SocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    private sealed class Joined(SocketIOTestClient client, Socket socket, Namespace nsp)
    {
        public SocketIOTestClient Client { get; } = client;

        public Socket Socket { get; } = socket;

        public Namespace Nsp { get; } = nsp;

        public TaskCompletionSource<DisconnectReason> Reason { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task<Joined> JoinAsync(Namespace? nsp = null)
    {
        nsp ??= fixture.NewNamespace();
        var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var sid = await client.JoinAsync(nsp.Name);
        var joined = new Joined(client, SocketIOFixture.ServerSocket(nsp, sid), nsp);
        joined.Socket.Disconnected += (_, reason) => joined.Reason.TrySetResult(reason);
        return joined;
    }

    [Fact]
    public async Task A_client_disconnect_packet_leaves_the_namespace_with_client_namespace_disconnect()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;
        var other = fixture.NewNamespace();
        var otherSid = await j.Client.JoinAsync(other.Name);

        await j.Client.SendAsync($"41{j.Nsp.Name},");

        Assert.Equal(DisconnectReason.ClientNamespaceDisconnect, await j.Reason.Task.Within());
        Assert.False(j.Socket.Connected);
        Assert.Empty(j.Nsp.Sockets);
        // The connection and its other namespace live on.
        Assert.True(SocketIOFixture.ServerSocket(other, otherSid).Connected);
        await other.EmitAsync("still here");
        Assert.Equal($"42{other.Name},[\"still here\"]", await j.Client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_server_disconnect_sends_a_disconnect_packet_with_server_namespace_disconnect()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;

        j.Socket.Disconnect();

        Assert.Equal($"41{j.Nsp.Name},", await j.Client.ReceiveTextAsync());
        Assert.Equal(DisconnectReason.ServerNamespaceDisconnect, await j.Reason.Task.Within());
        Assert.Empty(j.Nsp.Sockets);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, j.Client.Engine.State);
    }

    [Fact]
    public async Task A_server_disconnect_of_the_main_namespace_sends_41()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var socket = SocketIOFixture.ServerSocket(fixture.Io.Main, await client.JoinAsync("/"));

        socket.Disconnect();

        Assert.Equal("41", await client.ReceiveTextAsync());
        Assert.False(socket.Connected);
    }

    [Fact]
    public async Task Events_after_a_client_disconnect_are_not_dispatched()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;
        var dispatched = false;
        j.Socket.On("late", _ => dispatched = true);
        var sync = fixture.NewNamespace();
        sync.On("sync", e => e.Ack());
        await j.Client.JoinAsync(sync.Name);

        await j.Client.SendAsync($"41{j.Nsp.Name},");
        await j.Client.SendAsync($"42{j.Nsp.Name},[\"late\"]");
        await j.Client.SendAsync($"42{sync.Name},1[\"sync\"]");

        Assert.Equal($"43{sync.Name},1[]", await j.Client.ReceiveTextAsync());
        Assert.False(dispatched);
    }

    [Fact]
    public async Task A_closed_websocket_disconnects_with_transport_close()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;

        await j.Client.Engine.CloseAsync();

        Assert.Equal(DisconnectReason.TransportClose, await j.Reason.Task.Within());
    }

    [Fact]
    public async Task A_dropped_connection_disconnects_with_transport_close()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;

        j.Client.Engine.Abort();

        Assert.Equal(DisconnectReason.TransportClose, await j.Reason.Task.Within());
    }

    [Fact]
    public async Task An_engine_close_packet_disconnects_every_namespace_of_the_connection_with_transport_close()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;
        var second = await JoinAsync();
        await using var __ = second.Client;
        var otherSid = await j.Client.JoinAsync(second.Nsp.Name);
        var otherReason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        SocketIOFixture.ServerSocket(second.Nsp, otherSid).Disconnected += (_, r) => otherReason.TrySetResult(r);

        await j.Client.SendAsync("1");

        Assert.Equal(DisconnectReason.TransportClose, await j.Reason.Task.Within());
        Assert.Equal(DisconnectReason.TransportClose, await otherReason.Task.Within());
        Assert.True(second.Socket.Connected);
    }

    [Fact]
    public async Task An_engine_io_packet_the_server_cannot_accept_disconnects_with_parse_error()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;

        // In Engine.IO v4 only the server pings: a ping from the client is an Engine.IO parse error.
        await j.Client.SendAsync("2");

        var reason = await j.Reason.Task.Within();
        Assert.Equal(DisconnectReason.ParseError, reason);
        Assert.Equal("parse error", reason.ToWireName());
        Assert.Equal(Protocols.DisconnectCode.BadRequest, j.Socket.Connection.CloseCode);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, await j.Client.Engine.WaitClosedAsync());
    }

    [Fact]
    public async Task A_message_over_max_payload_disconnects_with_transport_error()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;

        await j.Client.SendAsync(new byte[(int)fixture.Io.Options.Engine.MaxPayload + 1]);

        var reason = await j.Reason.Task.Within();
        Assert.Equal(DisconnectReason.TransportError, reason);
        Assert.Equal("transport error", reason.ToWireName());
        Assert.Equal(Protocols.DisconnectCode.TooLarge, j.Socket.Connection.CloseCode);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, await j.Client.Engine.WaitClosedAsync());
    }

    [Theory]
    [InlineData("4abc")]
    [InlineData("49")]
    [InlineData("42{}")]
    [InlineData("42[\"connect\"]")]
    [InlineData("41{}")]
    [InlineData("43[\"ack without id\"]")]
    [InlineData("45-[\"x\"]")]
    public async Task A_malformed_packet_disconnects_with_forced_close_as_socket_io_does_and_closes_the_connection(string packet)
    {
        var j = await JoinAsync();
        await using var _ = j.Client;

        await j.Client.SendAsync(packet);

        Assert.Equal(DisconnectReason.ForcedClose, await j.Reason.Task.Within());
        await j.Client.Engine.WaitClosedAsync();
    }

    [Fact]
    public async Task A_malformed_packet_from_one_client_leaves_the_other_clients_connected()
    {
        var nsp = fixture.NewNamespace();
        var bad = await JoinAsync(nsp);
        var good = await JoinAsync(nsp);
        await using var _ = bad.Client;
        await using var __ = good.Client;

        await bad.Client.SendAsync("4abc");
        Assert.Equal(DisconnectReason.ForcedClose, await bad.Reason.Task.Within());
        await nsp.EmitAsync("broadcast after", 1);

        Assert.Equal($"42{nsp.Name},[\"broadcast after\",1]", await good.Client.ReceiveTextAsync());
        Assert.True(good.Socket.Connected);
        Assert.False(good.Reason.Task.IsCompleted);
        Assert.Equal([good.Socket.Id], nsp.Sockets.Keys);
    }

    [Fact]
    public async Task Disconnect_with_close_ends_the_connection()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;

        j.Socket.Disconnect(close: true);

        await j.Reason.Task.Within();
        await j.Client.Engine.Closed.Within();
        Assert.False(j.Socket.Connected);
    }

    /// <summary>
    /// socket.io's <c>socket.disconnect(true)</c> sends DISCONNECT to each namespace of the connection
    /// before closing it, so the official client knows the server meant it and does not reconnect.
    /// </summary>
    [Fact]
    public async Task Disconnect_with_close_sends_a_disconnect_packet_to_each_namespace_before_closing_the_connection()
    {
        var j = await JoinAsync();
        await using var _ = j.Client;
        var other = fixture.NewNamespace();
        await j.Client.JoinAsync(other.Name);

        j.Socket.Disconnect(close: true);

        await j.Client.Engine.Closed.Within();
        var received = new List<string>();
        try
        {
            while (true)
            {
                received.Add(await j.Client.ReceiveTextAsync());
            }
        }
        catch (InvalidOperationException)
        {
            // Every packet sent before the close has been read.
        }
        Assert.Equal(new[] { $"41{j.Nsp.Name},", $"41{other.Name}," }.Order(), received.Order());
    }
}
