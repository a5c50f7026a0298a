using System.Runtime.InteropServices;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>
/// Socket.IO behaviour that needs no HTTP, over Core's types alone: a <see cref="SocketServer"/> and
/// <see cref="DirectClient"/>s on its Engine.IO sessions. The same behaviours are also tested on a real
/// Kestrel (tests/Switchboard.AspNetCore.Tests/SocketIO); these run in milliseconds and pin the packets.
/// </summary>
public sealed class InProcessSocketTests : IDisposable
{
    private readonly SocketServer _io = new(new SocketServerOptions());

    public void Dispose() => _io.Dispose();

    private Socket ServerSocket(string sid, string nsp = "/") => _io.Of(nsp).Sockets[sid];

    [Fact]
    public async Task Connecting_to_the_main_namespace_answers_with_the_socket_id_and_runs_the_connection_handler()
    {
        var connected = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _io.OnConnection(socket => connected.SetResult(socket));

        var (client, sid) = await DirectClient.ConnectAsync(_io);
        using var _ = client;

        var socket = await connected.Task.WaitAsync(DirectClient.Timeout);
        Assert.Equal(sid, socket.Id);
        Assert.Same(client.Session, socket.Connection);
        Assert.Contains(sid, socket.Rooms); // every socket is in the room of its own id
    }

    [Fact]
    public async Task An_unknown_namespace_is_refused_with_connect_error_and_the_session_stays_open()
    {
        using var client = DirectClient.Open(_io);

        client.Send("40/nowhere,");

        Assert.Equal("44/nowhere,{\"message\":\"Invalid namespace\"}", await client.ReceiveAsync());
        Assert.False(client.Session.IsClosed);
    }

    [Fact]
    public async Task Middleware_that_throws_SocketConnectException_refuses_with_its_message()
    {
        var nsp = _io.Of("/guarded");
        nsp.Use((_, _) => throw new SocketConnectException("not today"));
        using var client = DirectClient.Open(_io);

        client.Send("40/guarded,");

        Assert.Equal("44/guarded,{\"message\":\"not today\"}", await client.ReceiveAsync());
        Assert.Empty(nsp.Sockets);
    }

    [Fact]
    public async Task An_event_handler_gets_typed_arguments_and_its_result_is_the_acknowledgement()
    {
        _io.OnConnection(socket => socket.On<int, int>("double", x => ValueTask.FromResult(x * 2)));
        var (client, _) = await DirectClient.ConnectAsync(_io);
        using var _ = client;

        client.Send("4217[\"double\",21]");

        Assert.Equal("4317[42]", await client.ReceiveAsync());
    }

    [Fact]
    public async Task OnAny_sees_every_event_before_it_reaches_no_handler()
    {
        var seen = new TaskCompletionSource<(string, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        _io.OnConnection(socket => socket.OnAny(e => seen.TrySetResult((e.Name, e.Arg<int>()))));
        var (client, _) = await DirectClient.ConnectAsync(_io);
        using var _ = client;

        client.Send("42[\"unhandled\",7]");

        Assert.Equal(("unhandled", 7), await seen.Task.WaitAsync(DirectClient.Timeout));
    }

    [Fact]
    public async Task A_server_emit_with_ack_completes_with_what_the_client_acknowledged()
    {
        var (client, sid) = await DirectClient.ConnectAsync(_io);
        using var _ = client;

        var pending = ServerSocket(sid).Timeout(DirectClient.Timeout).EmitWithAckAsync("question", "ultimate");
        var sent = await client.ReceiveAsync();
        Assert.Matches("^42(\\d+)\\[\"question\",\"ultimate\"\\]$", sent);
        var id = sent[2..sent.IndexOf('[')];
        client.Send($"43{id}[42]");

        var answer = await pending.WaitAsync(DirectClient.Timeout);
        Assert.Equal(42, answer.Get<int>(0));
    }

    [Fact]
    public async Task A_broadcast_to_a_room_reaches_its_members_only_and_except_leaves_them_out()
    {
        var (member, memberSid) = await DirectClient.ConnectAsync(_io);
        var (other, _) = await DirectClient.ConnectAsync(_io);
        using var _ = member;
        using var __ = other;
        ServerSocket(memberSid).Join("news");

        await _io.To("news").EmitAsync("headline", 1).AsTask().WaitAsync(DirectClient.Timeout);
        await _io.Except("news").EmitAsync("elsewhere", 2).AsTask().WaitAsync(DirectClient.Timeout);

        Assert.Equal("42[\"headline\",1]", await member.ReceiveAsync());
        Assert.Equal("42[\"elsewhere\",2]", await other.ReceiveAsync());
        // Each saw exactly one of the two: the next frame of each is a marker sent to both afterwards.
        await _io.EmitAsync("marker").AsTask().WaitAsync(DirectClient.Timeout);
        Assert.Equal("42[\"marker\"]", await member.ReceiveAsync());
        Assert.Equal("42[\"marker\"]", await other.ReceiveAsync());
    }

    [Fact]
    public async Task A_broadcast_is_encoded_once_and_the_same_bytes_go_to_every_recipient()
    {
        var (a, _) = await DirectClient.ConnectAsync(_io);
        var (b, _) = await DirectClient.ConnectAsync(_io);
        using var _ = a;
        using var __ = b;

        await _io.EmitAsync("tick", 1).AsTask().WaitAsync(DirectClient.Timeout);

        var first = await a.ReceiveFrameAsync();
        var second = await b.ReceiveFrameAsync();

        Assert.True(first.Data.Span.SequenceEqual("42[\"tick\",1]"u8));
        Assert.True(MemoryMarshal.TryGetArray(first.Data, out var x));
        Assert.True(MemoryMarshal.TryGetArray(second.Data, out var y));
        Assert.Same(x.Array, y.Array);
        Assert.Equal(x.Offset, y.Offset);
    }

    [Fact]
    public async Task SocketsJoinAsync_and_FetchSocketsAsync_act_on_the_targeted_sockets()
    {
        var (a, aSid) = await DirectClient.ConnectAsync(_io);
        var (b, bSid) = await DirectClient.ConnectAsync(_io);
        using var _ = a;
        using var __ = b;

        await _io.In(aSid).SocketsJoinAsync("vip").AsTask().WaitAsync(DirectClient.Timeout);
        var vips = await _io.In("vip").FetchSocketsAsync().AsTask().WaitAsync(DirectClient.Timeout);
        var everyone = await _io.FetchSocketsAsync().AsTask().WaitAsync(DirectClient.Timeout);

        Assert.Equal([aSid], vips.Select(s => s.Id));
        Assert.Contains("vip", vips[0].Rooms);
        Assert.Equal(new[] { aSid, bSid }.Order(), everyone.Select(s => s.Id).Order());
        Assert.DoesNotContain("vip", ServerSocket(bSid).Rooms);
    }

    [Fact]
    public async Task DisconnectSocketsAsync_sends_the_namespace_disconnect_and_reports_the_server_reason()
    {
        var (client, sid) = await DirectClient.ConnectAsync(_io);
        using var _ = client;
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        ServerSocket(sid).Disconnected += (_, r) => reason.SetResult(r);

        await _io.In(sid).DisconnectSocketsAsync().AsTask().WaitAsync(DirectClient.Timeout);

        Assert.Equal("41", await client.ReceiveAsync());
        Assert.Equal(DisconnectReason.ServerNamespaceDisconnect, await reason.Task.WaitAsync(DirectClient.Timeout));
        Assert.Empty(_io.Main.Sockets);
        Assert.False(client.Session.IsClosed); // only the namespace was left, not the connection
    }

    [Fact]
    public async Task A_client_disconnect_packet_leaves_the_namespace_with_the_client_reason()
    {
        var (client, sid) = await DirectClient.ConnectAsync(_io);
        using var _ = client;
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        ServerSocket(sid).Disconnected += (_, r) => reason.SetResult(r);

        client.Send("41");

        Assert.Equal(DisconnectReason.ClientNamespaceDisconnect, await reason.Task.WaitAsync(DirectClient.Timeout));
        Assert.Empty(_io.Main.Sockets);
    }

    [Fact]
    public async Task An_undecodable_packet_closes_the_connection()
    {
        var (client, sid) = await DirectClient.ConnectAsync(_io);
        using var _ = client;
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        ServerSocket(sid).Disconnected += (_, r) => reason.SetResult(r);

        client.Send("42[\"unterminated\"");

        Assert.Equal(DisconnectReason.ForcedClose, await reason.Task.WaitAsync(DirectClient.Timeout));
        Assert.True(client.Session.IsClosed);
    }
}
