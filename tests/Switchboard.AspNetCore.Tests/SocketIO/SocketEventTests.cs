using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

public sealed class SocketEventTests(SocketIOFixture fixture) : IClassFixture<SocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    private sealed record Sum(int A, int B);

    private sealed record Greeting(string Text, int Count);

    private async Task<(SocketIOTestClient Client, Socket Socket)> JoinAsync(Namespace nsp, string? auth = null)
    {
        var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var sid = await client.JoinAsync(nsp.Name, auth);
        return (client, SocketIOFixture.ServerSocket(nsp, sid));
    }

    [Fact]
    public async Task Socket_On_receives_the_event_name_and_arguments()
    {
        var nsp = fixture.NewNamespace();
        var received = new TaskCompletionSource<SocketEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        nsp.OnConnection(socket => socket.On("greet", e => received.TrySetResult(e)));
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;

        await client.SendAsync($"42{nsp.Name},[\"greet\",{{\"text\":\"hi\",\"count\":2}},\"extra\",null]");

        var e = await received.Task.Within();
        Assert.Equal("greet", e.Name);
        Assert.Same(socket, e.Socket);
        Assert.False(e.WantsAck);
        Assert.Equal(3, e.Args.Count);
        Assert.Equal(new Greeting("hi", 2), e.Args.Get<Greeting>(0));
        Assert.Equal("extra", e.Arg<string>(1));
        Assert.Equal(JsonValueKind.Null, e.Args[2].ValueKind);
        Assert.Equal("[{\"text\":\"hi\",\"count\":2},\"extra\",null]", e.Args.ToString());
    }

    [Fact]
    public async Task Namespace_On_receives_events_from_every_socket_of_the_namespace()
    {
        var nsp = fixture.NewNamespace();
        var senders = Channel.CreateUnbounded<(string Socket, string Arg)>();
        nsp.On("shared", e => senders.Writer.TryWrite((e.Socket.Id, e.Arg<string>()!)));
        var (first, firstSocket) = await JoinAsync(nsp);
        var (second, secondSocket) = await JoinAsync(nsp);
        await using var _ = first;
        await using var __ = second;

        await first.SendAsync($"42{nsp.Name},[\"shared\",\"one\"]");
        var a = await senders.Reader.ReadAsync().AsTask().Within();
        await second.SendAsync($"42{nsp.Name},[\"shared\",\"two\"]");
        var b = await senders.Reader.ReadAsync().AsTask().Within();

        Assert.Equal((firstSocket.Id, "one"), a);
        Assert.Equal((secondSocket.Id, "two"), b);
    }

    [Fact]
    public async Task Socket_listeners_run_before_namespace_listeners()
    {
        var nsp = fixture.NewNamespace();
        var order = new ConcurrentQueue<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        nsp.OnConnection(socket => socket.On("e", _ => order.Enqueue("socket")));
        nsp.On("e", _ =>
        {
            order.Enqueue("namespace");
            done.TrySetResult();
        });
        var (client, _) = await JoinAsync(nsp);
        await using var __ = client;

        await client.SendAsync($"42{nsp.Name},[\"e\"]");

        await done.Task.Within();
        Assert.Equal(["socket", "namespace"], order);
    }

    [Fact]
    public async Task An_event_with_an_ack_id_is_acknowledged_through_SocketEvent_Ack()
    {
        var nsp = fixture.NewNamespace();
        nsp.On("question", e =>
        {
            Assert.True(e.WantsAck);
            Assert.True(e.Ack("answer", 42, new { nested = true }));
            Assert.False(e.Ack("twice"));
            Assert.True(e.Acked);
        });
        var (client, _) = await JoinAsync(nsp);
        await using var __ = client;

        await client.SendAsync($"42{nsp.Name},17[\"question\"]");

        Assert.Equal($"43{nsp.Name},17[\"answer\",42,{{\"nested\":true}}]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Ack_on_an_event_without_an_ack_id_sends_nothing()
    {
        var nsp = fixture.NewNamespace();
        nsp.On("fire-and-forget", e => Assert.False(e.Ack("ignored")));
        nsp.On("sync", e => e.Ack("synced"));
        var (client, _) = await JoinAsync(nsp);
        await using var __ = client;

        await client.SendAsync($"42{nsp.Name},[\"fire-and-forget\"]");
        await client.SendAsync($"42{nsp.Name},3[\"sync\"]");

        Assert.Equal($"43{nsp.Name},3[\"synced\"]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_typed_handler_acknowledges_with_its_return_value()
    {
        var nsp = fixture.NewNamespace();
        nsp.OnConnection(socket => socket.On<Sum, int>("add", sum => ValueTask.FromResult(sum!.A + sum.B)));
        var (client, _) = await JoinAsync(nsp);
        await using var __ = client;

        await client.SendAsync($"42{nsp.Name},5[\"add\",{{\"a\":20,\"b\":22}}]");

        Assert.Equal($"43{nsp.Name},5[42]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task An_asynchronous_typed_handler_acknowledges_with_an_object_once_it_completes()
    {
        var nsp = fixture.NewNamespace();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        nsp.OnConnection(socket => socket.On<string, Greeting>("greet", async name =>
        {
            await release.Task;
            return new Greeting("hello " + name, 1);
        }));
        var (client, _) = await JoinAsync(nsp);
        await using var __ = client;

        await client.SendAsync($"42{nsp.Name},6[\"greet\",\"ada\"]");
        await client.SendAsync($"42{nsp.Name},7[\"greet\",\"bob\"]");
        release.SetResult();

        var acks = new[] { await client.ReceiveTextAsync(), await client.ReceiveTextAsync() };
        Assert.Contains($"43{nsp.Name},6[{{\"text\":\"hello ada\",\"count\":1}}]", acks);
        Assert.Contains($"43{nsp.Name},7[{{\"text\":\"hello bob\",\"count\":1}}]", acks);
    }

    [Fact]
    public async Task The_server_emits_an_event_to_one_socket()
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;

        socket.Emit("news", "<b>&'", 1.5, new Greeting("x", 2), null, true);

        Assert.Equal($"42{nsp.Name},[\"news\",\"<b>&'\",1.5,{{\"text\":\"x\",\"count\":2}},null,true]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task EmitWithAckAsync_completes_with_the_client_acknowledgement()
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;

        var pending = socket.EmitWithAckAsync("question", 1, "two");
        Assert.Equal($"42{nsp.Name},0[\"question\",1,\"two\"]", await client.ReceiveTextAsync());
        await client.SendAsync($"43{nsp.Name},0[\"answer\",{{\"n\":3}}]");

        var response = await pending.Within();
        Assert.Equal(2, response.Count);
        Assert.Equal("answer", response.Get<string>(0));
        Assert.Equal(3, response[1].GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task Concurrent_EmitWithAckAsync_calls_get_distinct_ids_and_their_own_answers()
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;

        var first = socket.EmitWithAckAsync<int>("double", [1]);
        var second = socket.EmitWithAckAsync<int>("double", [2]);
        Assert.Equal($"42{nsp.Name},0[\"double\",1]", await client.ReceiveTextAsync());
        Assert.Equal($"42{nsp.Name},1[\"double\",2]", await client.ReceiveTextAsync());
        await client.SendAsync($"43{nsp.Name},1[4]");
        await client.SendAsync($"43{nsp.Name},0[2]");

        Assert.Equal(2, await first.Within());
        Assert.Equal(4, await second.Within());
    }

    [Fact]
    public async Task EmitWithAckAsync_fails_with_SocketAckTimeoutException_when_the_client_does_not_answer()
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;

        var pending = socket.Timeout(TimeSpan.FromMilliseconds(200)).EmitWithAckAsync("ignored", 1);

        Assert.Equal($"42{nsp.Name},0[\"ignored\",1]", await client.ReceiveTextAsync());
        await Assert.ThrowsAsync<SocketAckTimeoutException>(() => pending.Within());
        // A late answer is dropped, and the socket keeps working.
        await client.SendAsync($"43{nsp.Name},0[\"too late\"]");
        var next = socket.EmitWithAckAsync("again");
        Assert.Equal($"42{nsp.Name},1[\"again\"]", await client.ReceiveTextAsync());
        await client.SendAsync($"43{nsp.Name},1[\"in time\"]");
        Assert.Equal("in time", (await next.Within()).Get<string>(0));
    }

    [Fact]
    public async Task EmitWithAckAsync_fails_with_SocketDisconnectedException_when_the_socket_leaves_first()
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;

        var pending = socket.EmitWithAckAsync("never answered");
        Assert.Equal($"42{nsp.Name},0[\"never answered\"]", await client.ReceiveTextAsync());
        await client.SendAsync($"41{nsp.Name},");

        var error = await Assert.ThrowsAsync<SocketDisconnectedException>(() => pending.Within());
        Assert.Equal(DisconnectReason.ClientNamespaceDisconnect, error.Reason);
    }

    [Fact]
    public async Task OnAny_sees_every_incoming_event_before_its_listeners()
    {
        var nsp = fixture.NewNamespace();
        var seen = new ConcurrentQueue<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        nsp.OnConnection(socket =>
        {
            socket.OnAny(e =>
            {
                seen.Enqueue("any " + e.Name + " " + e.Args);
                return ValueTask.CompletedTask;
            });
            socket.On("b", _ =>
            {
                seen.Enqueue("b listener");
                done.TrySetResult();
            });
        });
        var (client, _) = await JoinAsync(nsp);
        await using var __ = client;

        await client.SendAsync($"42{nsp.Name},[\"a\",1]");
        await client.SendAsync($"42{nsp.Name},[\"b\",\"x\"]");

        await done.Task.Within();
        Assert.Equal(["any a [1]", "any b [\"x\"]", "b listener"], seen);
    }

    [Fact]
    public async Task OnAnyOutgoing_sees_emits_and_broadcasts_to_the_socket()
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;
        var outgoing = new ConcurrentQueue<string>();
        socket.OnAnyOutgoing((name, args) => outgoing.Enqueue(name + ":" + string.Join(",", args)));

        socket.Emit("direct", 1, "a");
        await nsp.EmitAsync("broadcast", 2);

        Assert.Equal($"42{nsp.Name},[\"direct\",1,\"a\"]", await client.ReceiveTextAsync());
        Assert.Equal($"42{nsp.Name},[\"broadcast\",2]", await client.ReceiveTextAsync());
        Assert.Equal(["direct:1,a", "broadcast:2"], outgoing);
    }

    [Fact]
    public async Task Socket_Data_set_by_middleware_is_visible_to_handlers_and_fetched_sockets()
    {
        var nsp = fixture.NewNamespace();
        nsp.Use((socket, next) =>
        {
            socket.Data["user"] = socket.Handshake.Auth.GetProperty("user").GetString();
            return next();
        });
        nsp.On("whoami", e => e.Ack(e.Socket.Data["user"]));
        var (client, socket) = await JoinAsync(nsp, "{\"user\":\"ada\"}");
        await using var _ = client;

        await client.SendAsync($"42{nsp.Name},1[\"whoami\"]");

        Assert.Equal($"43{nsp.Name},1[\"ada\"]", await client.ReceiveTextAsync());
        var fetched = Assert.Single(await nsp.FetchSocketsAsync().Within());
        Assert.Equal("ada", fetched.Data["user"]);
        Assert.Same(socket, fetched.Local);
    }

    [Fact]
    public async Task Socket_Data_set_by_main_namespace_middleware_is_used_by_its_handlers()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        await client.JoinAsync("/", "{\"user\":\"grace\"}");

        await client.SendAsync("429[\"whoami\"]");

        Assert.Equal("439[\"grace\"]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Off_removes_the_socket_listeners_of_an_event()
    {
        var nsp = fixture.NewNamespace();
        var count = 0;
        nsp.OnConnection(socket => socket.On("once", e =>
        {
            Interlocked.Increment(ref count);
            e.Socket.Off("once");
            e.Ack("handled");
        }));
        nsp.On("sync", e => e.Ack("sync"));
        var (client, _) = await JoinAsync(nsp);
        await using var __ = client;

        await client.SendAsync($"42{nsp.Name},1[\"once\"]");
        Assert.Equal($"43{nsp.Name},1[\"handled\"]", await client.ReceiveTextAsync());
        await client.SendAsync($"42{nsp.Name},2[\"once\"]");
        await client.SendAsync($"42{nsp.Name},3[\"sync\"]");

        Assert.Equal($"43{nsp.Name},3[\"sync\"]", await client.ReceiveTextAsync());
        Assert.Equal(1, count);
    }

    [Fact]
    public async Task Received_arguments_can_be_forwarded_byte_for_byte()
    {
        var nsp = fixture.NewNamespace();
        var (sender, senderSocket) = await JoinAsync(nsp);
        var (receiver, _) = await JoinAsync(nsp);
        await using var _ = sender;
        await using var __ = receiver;
        senderSocket.On("relay", e => e.Socket.Broadcast.EmitAsync("relayed", e.Args));

        await sender.SendAsync($"42{nsp.Name},[\"relay\",{{\"b\":1,   \"a\":[2,3]}},\"é\\u00e9\"]");

        Assert.Equal($"42{nsp.Name},[\"relayed\",{{\"b\":1,   \"a\":[2,3]}},\"é\\u00e9\"]", await receiver.ReceiveTextAsync());
    }
}
