using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore;
using Switchboard.SocketIO;

namespace Switchboard.Cluster.Tests;

/// <summary>
/// Two real Kestrel servers joined by <c>AddSwitchboard().AddInMemoryCluster(cluster)</c>: the whole server
/// (rooms, channel hub, recovery) runs on the in-memory bus as it does on Redis, with raw Socket.IO clients.
/// </summary>
public sealed class InMemoryClusterServerTests : IAsyncLifetime
{
    private readonly InMemoryCluster _cluster = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly ConnectionStateRecoveryOptions _recovery = new() { MaxDisconnectionDuration = TimeSpan.FromMinutes(1) };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
        _cluster.Dispose();
    }

    [Fact]
    public async Task A_room_emit_on_one_node_reaches_members_on_the_other_with_the_same_offset()
    {
        var a = await NodeAsync("a");
        var b = await NodeAsync("b");
        var onA = await JoinAsync(a, "trading");
        var onB = await JoinAsync(b, "trading");

        await MainOf(a).To("trading").EmitAsync("price", 42);

        var seenOnA = await onA.ReceiveTextAsync().Within();
        Assert.StartsWith("42[\"price\",42,", seenOnA);
        Assert.Equal(seenOnA, await onB.ReceiveTextAsync().Within());
        Assert.Equal(["a", "b"], await MainOf(b).Server.Cluster!.GetLiveNodesAsync());
    }

    [Fact]
    public async Task A_socket_recovers_on_the_other_node_with_what_it_missed_after_its_node_is_gone()
    {
        var first = await NodeAsync("first");
        var second = await NodeAsync("second");
        var client = await SocketIOTestClient.OpenAsync(first);
        await client.SendAsync("40");
        using var connect = JsonDocument.Parse((await client.ReceiveTextAsync().Within())[2..]);
        var sid = connect.RootElement.GetProperty("sid").GetString()!;
        var pid = connect.RootElement.GetProperty("pid").GetString()!;
        await client.SendAsync("421[\"join\",\"news\"]");
        Assert.Equal("431[\"ok\"]", await client.ReceiveTextAsync().Within());
        await MainOf(second).To("news").EmitAsync("story", 1);
        var seen = await client.ReceiveTextAsync().Within();
        var offset = JsonDocument.Parse(seen[2..]).RootElement[2].GetString()!;

        await client.DisposeAsync();
        // The first node's host stops: its bus leaves the cluster with the container.
        _owned.Remove(first);
        await first.DisposeAsync();
        await MainOf(second).To("news").EmitAsync("story", 2);
        var back = await SocketIOTestClient.OpenAsync(second);
        _owned.Add(back);
        await back.SendAsync($"40{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}");
        var missed = await back.ReceiveTextAsync().Within();
        var reconnect = await back.ReceiveTextAsync().Within();

        Assert.StartsWith("42[\"story\",1,", seen);
        Assert.StartsWith("42[\"story\",2,", missed);
        Assert.Equal($"40{{\"sid\":\"{sid}\",\"pid\":\"{pid}\"}}", reconnect);
        Assert.Equal(["second"], await MainOf(second).Server.Cluster!.GetLiveNodesAsync());
    }

    private static Namespace MainOf(TestHost host) => host.Services.GetRequiredService<SocketServer>().Main;

    private async Task<TestHost> NodeAsync(string id)
    {
        var host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(o => o.Recovery = _recovery).AddInMemoryCluster(_cluster, id),
            web => web.MapSocketIO("/socket.io", io => io.Main.On("join", async e =>
            {
                await e.Socket.JoinAsync(e.Arg<string>(0)!);
                e.Ack("ok");
            })));
        _owned.Add(host);
        return host;
    }

    private async Task<SocketIOTestClient> JoinAsync(TestHost host, string room)
    {
        var (client, _) = await SocketIOTestClient.ConnectAsync(host);
        _owned.Add(client);
        await client.SendAsync($"421[\"join\",\"{room}\"]");
        Assert.Equal("431[\"ok\"]", await client.ReceiveTextAsync().Within());
        return client;
    }
}
