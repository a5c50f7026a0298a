using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>Socket.IO over HTTP long-polling only, binary attachments as base64 records.</summary>
public sealed class SocketPollingTests(SocketIOFixture fixture) : IClassFixture<SocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    private async Task<(EnginePollingClient Client, Socket Socket, Namespace Nsp)> JoinAsync()
    {
        var nsp = fixture.NewNamespace();
        var client = new EnginePollingClient(fixture.Host.BaseAddress, "/socket.io");
        await client.HandshakeAsync();
        await client.PostAsync($"40{nsp.Name},{{\"via\":\"polling\"}}");
        var reply = Assert.Single(await client.PollAsync());
        Assert.StartsWith($"40{nsp.Name},{{\"sid\":\"", reply);
        var sid = System.Text.Json.JsonDocument.Parse(reply[(3 + nsp.Name.Length)..]).RootElement.GetProperty("sid").GetString()!;
        return (client, SocketIOFixture.ServerSocket(nsp, sid), nsp);
    }

    [Fact]
    public async Task A_polling_client_connects_and_exchanges_events_and_acks()
    {
        var (client, socket, nsp) = await JoinAsync();
        using var _ = client;
        socket.On("echo", e => e.Ack(e.Args));

        Assert.Equal("polling", socket.Handshake.Auth.GetProperty("via").GetString());
        await client.PostAsync($"42{nsp.Name},3[\"echo\",\"a\",1]", $"42{nsp.Name},4[\"echo\",\"b\"]");

        var records = new List<string>(await client.PollAsync());
        if (records.Count < 2)
        {
            records.AddRange(await client.PollAsync());
        }
        Assert.Equal([$"43{nsp.Name},3[\"a\",1]", $"43{nsp.Name},4[\"b\"]"], records);
    }

    [Fact]
    public async Task Binary_events_travel_as_base64_records_in_both_directions()
    {
        var (client, socket, nsp) = await JoinAsync();
        using var _ = client;
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.On("upload", e => received.TrySetResult(e.Args.Get<byte[]>(0)!));

        await client.PostAsync($"451-{nsp.Name},[\"upload\",{{\"_placeholder\":true,\"num\":0}}]", EnginePollingClient.Binary([1, 2, 3]));
        socket.Emit("download", new byte[] { 0xFF, 0x00 });

        Assert.Equal(new byte[] { 1, 2, 3 }, await received.Task.Within());
        var records = new List<string>(await client.PollAsync());
        if (records.Count < 2)
        {
            records.AddRange(await client.PollAsync());
        }
        Assert.Equal([$"451-{nsp.Name},[\"download\",{{\"_placeholder\":true,\"num\":0}}]", "b/wA="], records);
    }

    [Fact]
    public async Task A_malformed_polling_packet_disconnects_with_forced_close()
    {
        var (client, socket, _) = await JoinAsync();
        using var __ = client;
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Disconnected += (_, r) => reason.TrySetResult(r);

        await client.PostAsync("4abc");

        Assert.Equal(DisconnectReason.ForcedClose, await reason.Task.Within());
    }

    [Fact]
    public async Task A_volatile_broadcast_skips_a_polling_client_with_no_poll_held()
    {
        var (client, socket, nsp) = await JoinAsync();
        using var _ = client;

        await nsp.Volatile.EmitAsync("may be lost");
        socket.Volatile.Emit("may be lost too");
        await nsp.EmitAsync("kept");

        Assert.Equal([$"42{nsp.Name},[\"kept\"]"], await client.PollAsync());
    }
}
