using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>Heartbeat-driven disconnects, on a server that pings every 200 ms and waits 200 ms.</summary>
public sealed class SocketHeartbeatTests(FastHeartbeatSocketIOFixture fixture) : IClassFixture<FastHeartbeatSocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task A_client_that_answers_no_ping_disconnects_with_ping_timeout()
    {
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var socket = SocketIOFixture.ServerSocket(nsp, await client.JoinAsync(nsp.Name));
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Disconnected += (_, r) => reason.TrySetResult(r);
        client.Engine.AutoPong = false;

        Assert.Equal("2", await client.ReceiveTextAsync());

        Assert.Equal(DisconnectReason.PingTimeout, await reason.Task.Within());
        await client.Engine.WaitClosedAsync();
    }

    [Fact]
    public async Task An_idle_session_lets_its_queue_ring_go_when_it_pings_and_later_emits_still_arrive()
    {
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var socket = SocketIOFixture.ServerSocket(nsp, await client.JoinAsync(nsp.Name));
        client.Engine.AutoPong = false;
        var prefix = SocketIOTestClient.Prefix(nsp.Name);

        for (var round = 0; round < 2; round++)
        {
            Assert.Equal("2", await client.ReceiveTextAsync());
            // The ping went out directly: the heartbeat had let the idle queue's ring go, and none came back.
            Assert.False(socket.Connection.Outbound.TrimIfEmpty());
            await client.SendAsync("3");
            socket.Emit("after-ping", round);
            Assert.Equal($"42{prefix}[\"after-ping\",{round}]", await client.ReceiveTextAsync());
        }
        Assert.False(socket.Connection.IsClosed);
    }
}
