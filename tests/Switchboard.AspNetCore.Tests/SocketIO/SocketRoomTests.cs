using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>
/// Rooms and broadcasts. A client that must not receive something is checked by broadcasting a
/// marker to everyone afterwards: each connection delivers in order, so its next packet must be the marker.
/// </summary>
public sealed class SocketRoomTests(SocketIOFixture fixture) : IClassFixture<SocketIOFixture>, IAsyncLifetime
{
    private readonly List<SocketIOTestClient> _clients = [];
    private Namespace _nsp = null!;

    public Task InitializeAsync()
    {
        _nsp = fixture.NewNamespace();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        fixture.Host.Logs.AssertNoErrors();
    }

    private string P => _nsp.Name + ",";

    private async Task<(SocketIOTestClient Client, Socket Socket)> JoinAsync()
    {
        var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        _clients.Add(client);
        var sid = await client.JoinAsync(_nsp.Name);
        return (client, SocketIOFixture.ServerSocket(_nsp, sid));
    }

    private async Task SendMarkerAsync() => await _nsp.EmitAsync("marker");

    private async Task ExpectMarkerAsync(SocketIOTestClient client) => Assert.Equal($"42{P}[\"marker\"]", await client.ReceiveTextAsync());

    [Fact]
    public async Task A_socket_is_in_its_own_id_room_and_joins_and_leaves_rooms()
    {
        var (_, socket) = await JoinAsync();

        Assert.Equal([socket.Id], socket.Rooms);
        socket.Join("a");
        socket.Join(["b", "c"]);
        Assert.Equal(new[] { socket.Id, "a", "b", "c" }.Order(), socket.Rooms.Order());
        socket.Leave("b");
        Assert.Equal(new[] { socket.Id, "a", "c" }.Order(), socket.Rooms.Order());
        Assert.Equal(1, _nsp.Adapter.RoomSize("a"));
        Assert.Equal(0, _nsp.Adapter.RoomSize("b"));
    }

    [Fact]
    public async Task Emitting_to_a_socket_id_room_reaches_only_that_socket()
    {
        var (a, _) = await JoinAsync();
        var (b, socketB) = await JoinAsync();

        await _nsp.To(socketB.Id).EmitAsync("private", "for b");
        await SendMarkerAsync();

        Assert.Equal($"42{P}[\"private\",\"for b\"]", await b.ReceiveTextAsync());
        await ExpectMarkerAsync(a);
        await ExpectMarkerAsync(b);
    }

    [Fact]
    public async Task To_room_reaches_only_its_members()
    {
        var (a, socketA) = await JoinAsync();
        var (b, socketB) = await JoinAsync();
        var (c, _) = await JoinAsync();
        socketA.Join("room");
        socketB.Join("room");

        await _nsp.To("room").EmitAsync("news", 1);
        await SendMarkerAsync();

        Assert.Equal($"42{P}[\"news\",1]", await a.ReceiveTextAsync());
        Assert.Equal($"42{P}[\"news\",1]", await b.ReceiveTextAsync());
        await ExpectMarkerAsync(c);
    }

    [Fact]
    public async Task A_socket_that_left_a_room_no_longer_receives_its_broadcasts()
    {
        var (a, socketA) = await JoinAsync();
        var (b, socketB) = await JoinAsync();
        socketA.Join("room");
        socketB.Join("room");
        socketA.Leave("room");

        await _nsp.To("room").EmitAsync("news");
        await SendMarkerAsync();

        await ExpectMarkerAsync(a);
        Assert.Equal($"42{P}[\"news\"]", await b.ReceiveTextAsync());
    }

    [Fact]
    public async Task Except_excludes_the_members_of_a_room()
    {
        var (a, socketA) = await JoinAsync();
        var (b, _) = await JoinAsync();
        var (c, socketC) = await JoinAsync();
        socketA.Join("muted");
        socketC.Join("muted");

        await _nsp.Except("muted").EmitAsync("for the unmuted");
        await SendMarkerAsync();

        await ExpectMarkerAsync(a);
        Assert.Equal($"42{P}[\"for the unmuted\"]", await b.ReceiveTextAsync());
        await ExpectMarkerAsync(c);
    }

    [Fact]
    public async Task To_and_Except_combine()
    {
        var (a, socketA) = await JoinAsync();
        var (b, socketB) = await JoinAsync();
        socketA.Join("room");
        socketB.Join("room");
        socketB.Join("busy");

        await _nsp.To("room").Except("busy").EmitAsync("ping");
        await SendMarkerAsync();

        Assert.Equal($"42{P}[\"ping\"]", await a.ReceiveTextAsync());
        await ExpectMarkerAsync(b);
    }

    [Fact]
    public async Task Socket_Broadcast_reaches_everyone_but_the_sender()
    {
        var (a, socketA) = await JoinAsync();
        var (b, _) = await JoinAsync();
        var (c, _) = await JoinAsync();

        await socketA.Broadcast.EmitAsync("from a");
        await SendMarkerAsync();

        await ExpectMarkerAsync(a);
        Assert.Equal($"42{P}[\"from a\"]", await b.ReceiveTextAsync());
        Assert.Equal($"42{P}[\"from a\"]", await c.ReceiveTextAsync());
    }

    [Fact]
    public async Task Socket_To_room_excludes_the_sender_even_when_it_is_a_member()
    {
        var (a, socketA) = await JoinAsync();
        var (b, socketB) = await JoinAsync();
        socketA.Join("room");
        socketB.Join("room");

        await socketA.To("room").EmitAsync("hello room");
        await SendMarkerAsync();

        await ExpectMarkerAsync(a);
        Assert.Equal($"42{P}[\"hello room\"]", await b.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_socket_in_several_targeted_rooms_receives_the_broadcast_once()
    {
        var (a, socketA) = await JoinAsync();
        var (b, socketB) = await JoinAsync();
        socketA.Join(["r1", "r2", "r3"]);
        socketB.Join("r2");

        await _nsp.To("r1").To("r2").To(["r3", "r4"]).EmitAsync("once");
        await SendMarkerAsync();

        Assert.Equal($"42{P}[\"once\"]", await a.ReceiveTextAsync());
        await ExpectMarkerAsync(a);
        Assert.Equal($"42{P}[\"once\"]", await b.ReceiveTextAsync());
        await ExpectMarkerAsync(b);
    }

    [Fact]
    public async Task Broadcasts_do_not_cross_namespaces()
    {
        var (a, _) = await JoinAsync();
        var other = fixture.NewNamespace();
        await using var outsider = await SocketIOTestClient.OpenAsync(fixture.Host);
        await outsider.JoinAsync(other.Name);

        await _nsp.EmitAsync("inside");
        await other.EmitAsync("other marker");

        Assert.Equal($"42{P}[\"inside\"]", await a.ReceiveTextAsync());
        Assert.Equal($"42{other.Name},[\"other marker\"]", await outsider.ReceiveTextAsync());
    }

    [Fact]
    public async Task Broadcast_EmitWithAckAsync_gathers_every_acknowledgement()
    {
        var (a, _) = await JoinAsync();
        var (b, _) = await JoinAsync();

        var pending = _nsp.Timeout(Timeouts.Default).EmitWithAckAsync("vote", "yes or no");
        var idA = await ReadAckRequestAsync(a, "vote", "\"yes or no\"");
        var idB = await ReadAckRequestAsync(b, "vote", "\"yes or no\"");
        await a.SendAsync($"43{P}{idA}[\"yes\"]");
        await b.SendAsync($"43{P}{idB}[\"no\",2]");

        var responses = await pending.Within();
        Assert.Equal(["[\"no\",2]", "[\"yes\"]"], responses.Select(r => r.ToString()).Order());
    }

    [Fact]
    public async Task Broadcast_EmitWithAckAsync_to_a_room_waits_only_for_its_members()
    {
        var (a, socketA) = await JoinAsync();
        var (b, _) = await JoinAsync();
        socketA.Join("voters");

        var pending = _nsp.To("voters").Timeout(Timeouts.Default).EmitWithAckAsync("vote");
        var id = await ReadAckRequestAsync(a, "vote", "");
        await a.SendAsync($"43{P}{id}[1]");

        var response = Assert.Single(await pending.Within());
        Assert.Equal(1, response.Get<int>(0));
        await SendMarkerAsync();
        await ExpectMarkerAsync(b);
    }

    [Fact]
    public async Task Broadcast_EmitWithAckAsync_times_out_with_the_acknowledgements_that_arrived()
    {
        var (a, _) = await JoinAsync();
        var (b, _) = await JoinAsync();

        var pending = _nsp.Timeout(TimeSpan.FromMilliseconds(300)).EmitWithAckAsync("vote");
        var idA = await ReadAckRequestAsync(a, "vote", "");
        await ReadAckRequestAsync(b, "vote", "");
        await a.SendAsync($"43{P}{idA}[\"only a\"]");

        var error = await Assert.ThrowsAsync<SocketAckTimeoutException>(() => pending.Within());
        Assert.Equal("only a", Assert.Single(error.Responses).Get<string>(0));
    }

    [Fact]
    public async Task Broadcast_EmitWithAckAsync_with_no_recipient_completes_empty()
    {
        Assert.Empty(await _nsp.To("nobody").Timeout(Timeouts.Default).EmitWithAckAsync("anyone?").Within());
    }

    /// <summary>Reads <c>42/nsp,ID["event",args]</c> and returns ID.</summary>
    private async Task<long> ReadAckRequestAsync(SocketIOTestClient client, string eventName, string args)
    {
        var text = await client.ReceiveTextAsync();
        var match = System.Text.RegularExpressions.Regex.Match(text, $"^42{System.Text.RegularExpressions.Regex.Escape(P)}(\\d+)\\[(.*)\\]$");
        Assert.True(match.Success, $"Expected an event with an ack id, got '{text}'.");
        Assert.Equal($"\"{eventName}\"" + (args.Length > 0 ? "," + args : ""), match.Groups[2].Value);
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task FetchSocketsAsync_returns_the_targeted_sockets()
    {
        var (_, socketA) = await JoinAsync();
        var (_, socketB) = await JoinAsync();
        var (_, socketC) = await JoinAsync();
        socketA.Join("room");
        socketB.Join("room");

        var all = await _nsp.FetchSocketsAsync().Within();
        var inRoom = await _nsp.In("room").FetchSocketsAsync().Within();
        var outside = await _nsp.Except("room").FetchSocketsAsync().Within();

        Assert.Equal(new[] { socketA.Id, socketB.Id, socketC.Id }.Order(), all.Select(s => s.Id).Order());
        Assert.Equal(new[] { socketA.Id, socketB.Id }.Order(), inRoom.Select(s => s.Id).Order());
        Assert.Equal([socketC.Id], outside.Select(s => s.Id));
    }

    [Fact]
    public async Task SocketsJoinAsync_and_SocketsLeaveAsync_move_the_targeted_sockets()
    {
        var (a, socketA) = await JoinAsync();
        var (b, socketB) = await JoinAsync();
        socketA.Join("vip");

        await _nsp.In("vip").SocketsJoinAsync("lounge", "bar").Within();
        await _nsp.SocketsJoinAsync("everyone").Within();
        await _nsp.In(socketB.Id).SocketsLeaveAsync("everyone").Within();

        Assert.Contains("lounge", socketA.Rooms);
        Assert.Contains("bar", socketA.Rooms);
        Assert.DoesNotContain("lounge", socketB.Rooms);
        Assert.Contains("everyone", socketA.Rooms);
        Assert.DoesNotContain("everyone", socketB.Rooms);
        await _nsp.To("lounge").EmitAsync("drinks");
        await SendMarkerAsync();
        Assert.Equal($"42{P}[\"drinks\"]", await a.ReceiveTextAsync());
        await ExpectMarkerAsync(b);
    }

    [Fact]
    public async Task DisconnectSocketsAsync_disconnects_the_targeted_sockets()
    {
        var (a, socketA) = await JoinAsync();
        var (b, socketB) = await JoinAsync();
        socketA.Join("leaving");
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socketA.Disconnected += (_, r) => reason.TrySetResult(r);

        await _nsp.In("leaving").DisconnectSocketsAsync().Within();

        Assert.Equal($"41{P}", await a.ReceiveTextAsync());
        Assert.Equal(DisconnectReason.ServerNamespaceDisconnect, await reason.Task.Within());
        Assert.False(socketA.Connected);
        Assert.True(socketB.Connected);
        Assert.Equal([socketB.Id], (await _nsp.FetchSocketsAsync().Within()).Select(s => s.Id));
        await SendMarkerAsync();
        await ExpectMarkerAsync(b);
    }

    [Fact]
    public async Task A_disconnected_socket_leaves_all_its_rooms()
    {
        var (a, socketA) = await JoinAsync();
        socketA.Join("room");
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socketA.Disconnected += (_, _) => gone.TrySetResult();

        await a.SendAsync($"41{P}");

        await gone.Task.Within();
        Assert.Equal(0, _nsp.Adapter.RoomSize("room"));
        Assert.Equal(0, _nsp.Adapter.RoomSize(socketA.Id));
        Assert.Empty(socketA.Rooms);
        Assert.False(_nsp.Sockets.ContainsKey(socketA.Id));
    }

    [Fact]
    public async Task Rooms_and_sockets_past_the_small_set_size_deliver_and_leave_nothing_behind()
    {
        // The adapter keeps up to eight members (or rooms) in an array and more in a hash set: cross it both ways.
        var members = new List<(SocketIOTestClient Client, Socket Socket)>();
        for (var i = 0; i < 10; i++)
        {
            var member = await JoinAsync();
            member.Socket.Join("big");
            members.Add(member);
        }
        var (outsider, busy) = await JoinAsync();
        var rooms = Enumerable.Range(0, 12).Select(i => $"r{i}").ToArray();
        busy.Join(rooms);
        Assert.Equal(13, busy.Rooms.Count);
        Assert.Equal(10, _nsp.Adapter.RoomSize("big"));

        await _nsp.To("big").Except(members[3].Socket.Id).EmitAsync("to-big");
        await _nsp.To("r11").EmitAsync("to-r11");
        await SendMarkerAsync();
        for (var i = 0; i < members.Count; i++)
        {
            if (i != 3)
            {
                Assert.Equal($"42{P}[\"to-big\"]", await members[i].Client.ReceiveTextAsync());
            }
            await ExpectMarkerAsync(members[i].Client);
        }
        Assert.Equal($"42{P}[\"to-r11\"]", await outsider.ReceiveTextAsync());
        await ExpectMarkerAsync(outsider);

        busy.Leave("r5");
        Assert.DoesNotContain("r5", busy.Rooms);
        Assert.Equal(12, busy.Rooms.Count);
        foreach (var (_, socket) in members)
        {
            socket.Disconnect();
        }
        busy.Disconnect();
        Assert.Equal(0, _nsp.Adapter.RoomSize("big"));
        Assert.All(rooms, room => Assert.Equal(0, _nsp.Adapter.RoomSize(room)));
        Assert.Empty(_nsp.Adapter.Rooms);
    }
}
