using System.Text.Json;
using Switchboard.SocketIO;

namespace Switchboard.Cluster.Tests;

/// <summary>
/// Socket.IO across two nodes on a real redis-server: each node a real Kestrel, the clients raw
/// Socket.IO over WebSocket, so every packet is asserted as it is on the wire.
/// </summary>
public sealed class SocketClusterTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly string _prefix = $"c{Guid.NewGuid():N}"[..9] + ":";
    private readonly List<IAsyncDisposable> _owned = [];
    private ClusterNode _a = null!;
    private ClusterNode _b = null!;

    public async Task InitializeAsync()
    {
        _a = await NodeAsync();
        _b = await NodeAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_room_broadcast_on_one_node_reaches_members_on_the_other()
    {
        var (onA, _) = await ConnectAsync(_a, "trading");
        var (onB, _) = await ConnectAsync(_b, "trading");
        var (outside, _) = await ConnectAsync(_b, "other");

        await _a.Main.To("trading").EmitAsync("price", 42);
        await _b.Main.To("other").EmitAsync("marker");

        Assert.Equal("42[\"price\",42]", await onA.ReceiveTextAsync().Within());
        Assert.Equal("42[\"price\",42]", await onB.ReceiveTextAsync().Within());
        // Had the first broadcast reached the outsider, it would come before the marker.
        Assert.Equal("42[\"marker\"]", await outside.ReceiveTextAsync().Within());
    }

    [Fact]
    public async Task Emits_to_everyone_and_to_a_socket_id_cross_nodes()
    {
        var (onA, _) = await ConnectAsync(_a);
        var (onB, idOnB) = await ConnectAsync(_b);

        await _a.Main.EmitAsync("hello", "all");
        await _a.Main.To(idOnB).EmitAsync("direct", "b only");

        Assert.Equal("42[\"hello\",\"all\"]", await onA.ReceiveTextAsync().Within());
        Assert.Equal("42[\"hello\",\"all\"]", await onB.ReceiveTextAsync().Within());
        Assert.Equal("42[\"direct\",\"b only\"]", await onB.ReceiveTextAsync().Within());
    }

    [Fact]
    public async Task A_broadcast_with_acks_gathers_the_acknowledgements_of_every_node()
    {
        var (onA, _) = await ConnectAsync(_a, "voters");
        var (onB, _) = await ConnectAsync(_b, "voters");

        var votes = _a.Main.To("voters").Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("vote");
        await AnswerAsync(onA, "\"yes\"");
        await AnswerAsync(onB, "\"no\"");

        var answers = await votes.Within();
        Assert.Equal(["no", "yes"], answers.Select(a => a.Get<string>(0)).Order());
    }

    [Fact]
    public async Task Fetch_join_leave_and_disconnect_reach_sockets_on_the_other_node()
    {
        var (onA, idOnA) = await ConnectAsync(_a, "lobby");
        var (onB, idOnB) = await ConnectAsync(_b, "lobby");
        await onB.SendAsync("42[\"set\",\"user\",\"ada\"]");
        await onB.SendAsync("421[\"join\",\"sync\"]");
        Assert.Equal("431[\"ok\"]", await onB.ReceiveTextAsync().Within());

        var fetched = await _a.Main.In("lobby").FetchSocketsAsync().Within();
        var issuedOnB = _b.Main.Sockets[idOnB].Handshake.IssuedAt;
        await _a.Main.In(idOnB).SocketsJoinAsync("vip").Within();
        await _a.Main.To("vip").EmitAsync("welcome");
        var welcome = await onB.ReceiveTextAsync().Within();
        await _a.Main.In(idOnB).SocketsLeaveAsync("vip").Within();
        var afterLeave = await _b.Main.In("vip").FetchSocketsAsync().Within();
        await _a.Main.In(idOnB).DisconnectSocketsAsync().Within();

        Assert.Equal([idOnA, idOnB], fetched.Select(s => s.Id).Order(StringComparer.Ordinal).OrderBy(id => id != idOnA));
        var remote = fetched.Single(s => s.Id == idOnB);
        Assert.Null(remote.Local);
        Assert.Same(_a.Main.Sockets[idOnA], fetched.Single(s => s.Id == idOnA).Local);
        Assert.Contains("lobby", remote.Rooms);
        Assert.Equal("ada", ((JsonElement)remote.Data["user"]!).GetString());
        // The handshake of a socket on another node, as socket.io's RemoteSocket carries it.
        Assert.Equal("4", remote.Handshake.Query["EIO"]);
        Assert.StartsWith("/socket.io/", remote.Handshake.Url);
        Assert.True(remote.Handshake.Headers.ContainsKey("Host"));
        Assert.True(System.Net.IPAddress.IsLoopback(remote.Handshake.Address!));
        Assert.Equal(issuedOnB.ToUnixTimeMilliseconds(), remote.Handshake.IssuedAt.ToUnixTimeMilliseconds());
        Assert.Equal("42[\"welcome\"]", welcome);
        Assert.Empty(afterLeave);
        Assert.Equal("41", await onB.ReceiveTextAsync().Within());
        Assert.False(_b.Main.Sockets.ContainsKey(idOnB));
        Assert.True(_a.Main.Sockets.ContainsKey(idOnA));
        Assert.Equal(WebSocketStateOpen, onA.Engine.State);
    }

    [Fact]
    public async Task A_connection_is_disconnected_by_id_from_any_node()
    {
        var (onB, idOnB) = await ConnectAsync(_b);

        var found = await _a.Main.Channels.DisconnectAsync(idOnB).AsTask().Within();
        var missing = await _a.Main.Channels.DisconnectAsync("nobody").AsTask().Within();

        Assert.True(found);
        Assert.False(missing);
        Assert.Equal("41", await onB.ReceiveTextAsync().Within());
    }

    [Fact]
    public async Task Presence_counts_the_members_and_users_of_every_node()
    {
        var (onA, idOnA) = await ConnectAsync(_a, "desk");
        var (onB, idOnB) = await ConnectAsync(_b, "desk");
        var (again, idAgain) = await ConnectAsync(_b, "desk");
        foreach (var client in new[] { onA, onB, again })
        {
            // Events of one socket are handled in order: once the join is acknowledged, the user is set.
            await client.SendAsync($"42[\"set\",\"userId\",\"{(client == onA ? "ada" : "grace")}\"]");
            await client.SendAsync("422[\"join\",\"desk\"]");
            Assert.Equal("432[\"ok\"]", await client.ReceiveTextAsync().Within());
        }

        var presence = await _a.Main.Channels.PresenceAsync("desk").AsTask().Within();

        Assert.Equal(3, presence.Connections);
        Assert.Equal(2, presence.Users);
        Assert.Equal(new[] { idOnA, idOnB, idAgain }.Order(StringComparer.Ordinal), presence.Members.Select(m => m.ConnectionId).Order(StringComparer.Ordinal));
        Assert.Equal(_b.Bus.NodeId, presence.Members.Single(m => m.ConnectionId == idOnB).Node);
        Assert.Equal(_a.Bus.NodeId, presence.Members.Single(m => m.ConnectionId == idOnA).Node);
        Assert.All(presence.Members, m => Assert.Equal("socket.io", m.Protocol));
    }

    [Fact]
    public async Task A_polling_session_is_served_by_whichever_node_a_round_robin_balancer_picks()
    {
        using var http = new HttpClient();
        string Url(ClusterNode node, string? sid) => $"{node.Host.BaseAddress}socket.io/?EIO=4&transport=polling" + (sid is null ? "" : $"&sid={sid}");

        var open = await http.GetStringAsync(Url(_a, null)).Within();
        var sid = JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString()!;
        // CONNECT through B, its reply read through B, a join through A, the ack read through B.
        var connect = await http.PostAsync(Url(_b, sid), new StringContent("40")).Within();
        var connected = await http.GetStringAsync(Url(_b, sid)).Within();
        var join = await http.PostAsync(Url(_a, sid), new StringContent("421[\"join\",\"polling\"]")).Within();
        var ack = await http.GetStringAsync(Url(_b, sid)).Within();
        await _b.Main.To("polling").EmitAsync("news", "via a");
        var news = await http.GetStringAsync(Url(_b, sid)).Within();
        var unknown = await http.GetAsync(Url(_b, "no-such-session")).Within();

        Assert.True(connect.IsSuccessStatusCode);
        Assert.StartsWith("40{\"sid\":", connected);
        Assert.True(join.IsSuccessStatusCode);
        Assert.Equal("431[\"ok\"]", ack);
        Assert.Equal("42[\"news\",\"via a\"]", news);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Single(_a.Server.Engine.Sessions);
        Assert.Empty(_b.Server.Engine.Sessions);
    }

    [Theory]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://[::]:0")]
    public async Task A_node_listening_on_every_interface_is_reached_at_the_loopback_address(string listen)
    {
        var wildcard = await ClusterNode.StartAsync(redis, _prefix, listen: listen);
        _owned.Add(wildcard);
        using var http = new HttpClient();
        string Url(ClusterNode node, string? sid) => $"{node.Host.BaseAddress}socket.io/?EIO=4&transport=polling" + (sid is null ? "" : $"&sid={sid}");

        Assert.Equal($"http://127.0.0.1:{wildcard.Host.BaseAddress.Port}", wildcard.Server.Options.NodeAddress);
        var open = await http.GetStringAsync(Url(wildcard, null)).Within();
        var sid = JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString()!;
        // B forwards to the address the wildcard node gave out.
        var connect = await http.PostAsync(Url(_b, sid), new StringContent("40")).Within();
        var connected = await http.GetStringAsync(Url(_b, sid)).Within();

        Assert.True(connect.IsSuccessStatusCode);
        Assert.StartsWith("40{\"sid\":", connected);
        Assert.Single(wildcard.Server.Engine.Sessions);
        Assert.Empty(_b.Server.Engine.Sessions);
    }

    [Fact]
    public async Task A_socket_recovers_on_another_node_with_its_rooms_and_the_publications_it_missed()
    {
        var recovery = new ConnectionStateRecoveryOptions { MaxDisconnectionDuration = TimeSpan.FromMinutes(1) };
        var first = await NodeAsync(o => o.Recovery = recovery);
        var second = await NodeAsync(o => o.Recovery = recovery);
        var client = await SocketIOTestClient.OpenAsync(first.Host);
        await client.SendAsync("40");
        using var connect = JsonDocument.Parse((await client.ReceiveTextAsync().Within())[2..]);
        var sid = connect.RootElement.GetProperty("sid").GetString()!;
        var pid = connect.RootElement.GetProperty("pid").GetString()!;
        await client.SendAsync("421[\"join\",\"news\"]");
        Assert.Equal("431[\"ok\"]", await client.ReceiveTextAsync().Within());
        await second.Main.To("news").EmitAsync("story", 1);
        var seen = await client.ReceiveTextAsync().Within();
        var offset = JsonDocument.Parse(seen[2..]).RootElement[2].GetString()!;

        // The first node goes away; the next story is published while the client is gone.
        await client.DisposeAsync();
        await first.DisposeAsync();
        await second.Main.To("news").EmitAsync("story", 2);
        var back = await SocketIOTestClient.OpenAsync(second.Host);
        await back.SendAsync($"40{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}");
        // As socket.io: the missed events come before the CONNECT reply.
        var missed = await back.ReceiveTextAsync().Within();
        var reconnect = await back.ReceiveTextAsync().Within();
        await second.Main.To("news").EmitAsync("story", 3);
        var live = await back.ReceiveTextAsync().Within();

        Assert.StartsWith("42[\"story\",1,", seen);
        Assert.Equal($"40{{\"sid\":\"{sid}\",\"pid\":\"{pid}\"}}", reconnect);
        Assert.StartsWith("42[\"story\",2,", missed);
        Assert.StartsWith("42[\"story\",3,", live);
    }

    [Fact]
    public async Task A_recovered_socket_gets_the_emits_to_everyone_and_to_its_id_it_missed_in_order()
    {
        var recovery = new ConnectionStateRecoveryOptions { MaxDisconnectionDuration = TimeSpan.FromMinutes(1) };
        var first = await NodeAsync(o => o.Recovery = recovery);
        var second = await NodeAsync(o => o.Recovery = recovery);
        var client = await SocketIOTestClient.OpenAsync(first.Host);
        await client.SendAsync("40");
        using var connect = JsonDocument.Parse((await client.ReceiveTextAsync().Within())[2..]);
        var sid = connect.RootElement.GetProperty("sid").GetString()!;
        var pid = connect.RootElement.GetProperty("pid").GetString()!;
        await second.Main.EmitAsync("hello", "everyone");
        var seen = await client.ReceiveTextAsync().Within();
        var offset = JsonDocument.Parse(seen[2..]).RootElement[2].GetString()!;

        // Gone from the first node; what is sent to everyone and to its id meanwhile waits in the store.
        await client.DisposeAsync();
        await first.DisposeAsync();
        await second.Main.EmitAsync("all", 1);
        await second.Main.To(sid).EmitAsync("private", 2);
        await second.Main.Except(sid).EmitAsync("not-for-it", 3);
        await second.Main.EmitAsync("all", 4);
        var back = await SocketIOTestClient.OpenAsync(second.Host);
        await back.SendAsync($"40{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}");
        var missed = new[] { await back.ReceiveTextAsync().Within(), await back.ReceiveTextAsync().Within(), await back.ReceiveTextAsync().Within() };
        var reconnect = await back.ReceiveTextAsync().Within();

        Assert.StartsWith("42[\"hello\",\"everyone\",", seen);
        Assert.Equal(["all 1", "private 2", "all 4"], missed.Select(m => JsonDocument.Parse(m[2..]).RootElement).Select(e => $"{e[0].GetString()} {e[1].GetInt32()}"));
        Assert.Equal($"40{{\"sid\":\"{sid}\",\"pid\":\"{pid}\"}}", reconnect);
    }

    private const System.Net.WebSockets.WebSocketState WebSocketStateOpen = System.Net.WebSockets.WebSocketState.Open;

    private async Task<ClusterNode> NodeAsync(Action<SocketServerOptions>? configure = null)
    {
        var node = await ClusterNode.StartAsync(redis, _prefix, configure, nsp =>
        {
            // Acknowledged once the cluster knows of the membership (docs/cluster.md, "Joining a room"):
            // a broadcast from another node right after the ack must reach the socket.
            nsp.On("join", async e =>
            {
                await e.Socket.JoinAsync(e.Arg<string>(0)!);
                e.Ack("ok");
            });
            nsp.On("set", e => e.Socket.Data[e.Arg<string>(0)!] = e.Arg<string>(1));
        });
        _owned.Add(node);
        return node;
    }

    /// <summary>Connects a client to the node and, given a room, has it join the room.</summary>
    private async Task<(SocketIOTestClient Client, string Id)> ConnectAsync(ClusterNode node, string? room = null)
    {
        var (client, id) = await SocketIOTestClient.ConnectAsync(node.Host);
        _owned.Add(client);
        if (room is not null)
        {
            await client.SendAsync($"421[\"join\",\"{room}\"]");
            Assert.Equal("431[\"ok\"]", await client.ReceiveTextAsync().Within());
        }
        return (client, id);
    }

    /// <summary>Reads an event that asks for an acknowledgement and answers it.</summary>
    private static async Task AnswerAsync(SocketIOTestClient client, string answer)
    {
        var packet = await client.ReceiveTextAsync().Within();
        var bracket = packet.IndexOf('[', StringComparison.Ordinal);
        await client.SendAsync($"43{packet[2..bracket]}[{answer}]");
    }
}
