using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

public sealed class SocketBinaryTests(SocketIOFixture fixture) : IClassFixture<SocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    private sealed record FileMessage(string Name, byte[] Content);

    private async Task<(SocketIOTestClient Client, Socket Socket, Namespace Nsp)> JoinAsync()
    {
        var nsp = fixture.NewNamespace();
        var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var sid = await client.JoinAsync(nsp.Name);
        return (client, SocketIOFixture.ServerSocket(nsp, sid), nsp);
    }

    [Fact]
    public async Task A_byte_array_argument_is_sent_as_a_binary_event_and_a_binary_frame()
    {
        var (client, socket, nsp) = await JoinAsync();
        await using var _ = client;

        socket.Emit("file", new byte[] { 1, 2, 3 }, "caption");

        Assert.Equal($"451-{nsp.Name},[\"file\",{{\"_placeholder\":true,\"num\":0}},\"caption\"]", await client.ReceiveTextAsync());
        Assert.Equal(new byte[] { 1, 2, 3 }, await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task Nested_binary_values_become_numbered_placeholders_followed_by_their_frames_in_order()
    {
        var (client, socket, nsp) = await JoinAsync();
        await using var _ = client;

        socket.Emit("files", new FileMessage("a", [10]), new ReadOnlyMemory<byte>([20, 21]));

        Assert.Equal(
            $"452-{nsp.Name},[\"files\",{{\"name\":\"a\",\"content\":{{\"_placeholder\":true,\"num\":0}}}},{{\"_placeholder\":true,\"num\":1}}]",
            await client.ReceiveTextAsync());
        Assert.Equal(new byte[] { 10 }, await client.ReceiveBinaryAsync());
        Assert.Equal(new byte[] { 20, 21 }, await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task A_broadcast_with_binary_reaches_every_recipient_with_its_frames()
    {
        var nsp = fixture.NewNamespace();
        await using var a = await SocketIOTestClient.OpenAsync(fixture.Host);
        await using var b = await SocketIOTestClient.OpenAsync(fixture.Host);
        await a.JoinAsync(nsp.Name);
        await b.JoinAsync(nsp.Name);

        await nsp.EmitAsync("blob", new byte[] { 0xCA, 0xFE });

        foreach (var client in new[] { a, b })
        {
            Assert.Equal($"451-{nsp.Name},[\"blob\",{{\"_placeholder\":true,\"num\":0}}]", await client.ReceiveTextAsync());
            Assert.Equal(new byte[] { 0xCA, 0xFE }, await client.ReceiveBinaryAsync());
        }
    }

    [Fact]
    public async Task An_incoming_binary_event_is_reassembled_and_read_with_Get_byte_array()
    {
        var (client, socket, nsp) = await JoinAsync();
        await using var _ = client;
        var received = new TaskCompletionSource<(byte[], FileMessage?, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.On("upload", e => received.TrySetResult((e.Args.Get<byte[]>(0)!, e.Args.Get<FileMessage>(1), e.Arg<string>(2))));

        await client.SendAsync($"452-{nsp.Name},[\"upload\",{{\"_placeholder\":true,\"num\":1}},{{\"name\":\"n\",\"content\":{{\"_placeholder\":true,\"num\":0}}}},\"text\"]");
        await client.SendAsync([9, 9, 9]);
        await client.SendAsync([1, 2]);

        var (first, file, text) = await received.Task.Within();
        Assert.Equal(new byte[] { 1, 2 }, first);
        Assert.NotNull(file);
        Assert.Equal("n", file.Name);
        Assert.Equal(new byte[] { 9, 9, 9 }, file.Content);
        Assert.Equal("text", text);
    }

    [Fact]
    public async Task A_binary_event_with_an_ack_id_is_acknowledged_and_binary_acks_are_sent_back()
    {
        var (client, socket, nsp) = await JoinAsync();
        await using var _ = client;
        socket.On("reverse", e => e.Ack(e.Args.Get<byte[]>(0)!.Reverse().ToArray()));

        await client.SendAsync($"451-{nsp.Name},8[\"reverse\",{{\"_placeholder\":true,\"num\":0}}]");
        await client.SendAsync([1, 2, 3]);

        Assert.Equal($"461-{nsp.Name},8[{{\"_placeholder\":true,\"num\":0}}]", await client.ReceiveTextAsync());
        Assert.Equal(new byte[] { 3, 2, 1 }, await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task A_binary_ack_from_the_client_resolves_its_attachments()
    {
        var (client, socket, nsp) = await JoinAsync();
        await using var _ = client;

        var pending = socket.EmitWithAckAsync("send me bytes");
        Assert.Equal($"42{nsp.Name},0[\"send me bytes\"]", await client.ReceiveTextAsync());
        await client.SendAsync($"461-{nsp.Name},0[{{\"_placeholder\":true,\"num\":0}}]");
        await client.SendAsync([4, 5]);

        Assert.Equal(new byte[] { 4, 5 }, (await pending.Within()).Get<byte[]>(0));
    }

    [Fact]
    public async Task Forwarding_received_binary_arguments_sends_the_same_attachments()
    {
        var nsp = fixture.NewNamespace();
        await using var sender = await SocketIOTestClient.OpenAsync(fixture.Host);
        await using var receiver = await SocketIOTestClient.OpenAsync(fixture.Host);
        var senderSocket = SocketIOFixture.ServerSocket(nsp, await sender.JoinAsync(nsp.Name));
        await receiver.JoinAsync(nsp.Name);
        senderSocket.On("relay", e => e.Socket.Broadcast.EmitAsync("relayed", new byte[] { 7 }, e.Args));

        await sender.SendAsync($"451-{nsp.Name},[\"relay\",{{\"_placeholder\":true,\"num\":0}}]");
        await sender.SendAsync([8, 8]);

        Assert.Equal($"452-{nsp.Name},[\"relayed\",{{\"_placeholder\":true,\"num\":0}},{{\"_placeholder\":true,\"num\":1}}]", await receiver.ReceiveTextAsync());
        Assert.Equal(new byte[] { 7 }, await receiver.ReceiveBinaryAsync());
        Assert.Equal(new byte[] { 8, 8 }, await receiver.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task Binary_data_without_an_announcing_packet_closes_the_connection_with_forced_close()
    {
        var (client, socket, _) = await JoinAsync();
        await using var __ = client;
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Disconnected += (_, r) => reason.TrySetResult(r);

        await client.SendAsync([1, 2, 3]);

        Assert.Equal(DisconnectReason.ForcedClose, await reason.Task.Within());
        await client.Engine.WaitClosedAsync();
    }
}
