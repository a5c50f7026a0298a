using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

/// <summary>A server that removes empty child namespaces and hides middleware exceptions from clients.</summary>
public sealed class CleanupSocketIOFixture : SocketIOFixture
{
    protected override void ConfigureOptions(SocketServerOptions options)
    {
        options.CleanupEmptyChildNamespaces = true;
        options.ExposeMiddlewareErrors = false;
    }
}

/// <summary>
/// socket.io's server API on the wire, byte for byte: argument shapes, listener management, namespace
/// lifecycle events, and the options that differ from the defaults. tests/interop/server-api.test.mjs
/// drives the same API with the official client.
/// </summary>
public sealed class SocketServerApiTests(CleanupSocketIOFixture fixture) : IClassFixture<CleanupSocketIOFixture>
{
    private async Task<(SocketIOTestClient Client, Socket Socket)> JoinAsync(Namespace nsp)
    {
        var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var sid = await client.JoinAsync(nsp.Name);
        return (client, SocketIOFixture.ServerSocket(nsp, sid));
    }

    [Fact]
    public async Task An_array_or_null_is_one_argument_and_a_collection_expression_spreads()
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;
        string[] pair = ["a", "b"];

        socket.Emit("e", pair);
        socket.Emit("e", null);
        socket.Emit("e", [.. pair]);
        socket.Emit("e", EmitArgs.Spread(pair));
        socket.Emit("e");

        Assert.Equal($"42{nsp.Name},[\"e\",[\"a\",\"b\"]]", await client.ReceiveTextAsync());
        Assert.Equal($"42{nsp.Name},[\"e\",null]", await client.ReceiveTextAsync());
        Assert.Equal($"42{nsp.Name},[\"e\",\"a\",\"b\"]", await client.ReceiveTextAsync());
        Assert.Equal($"42{nsp.Name},[\"e\",\"a\",\"b\"]", await client.ReceiveTextAsync());
        Assert.Equal($"42{nsp.Name},[\"e\"]", await client.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("connect")]
    [InlineData("connect_error")]
    [InlineData("disconnect")]
    [InlineData("disconnecting")]
    [InlineData("newListener")]
    [InlineData("removeListener")]
    public async Task Emitting_a_reserved_event_name_throws_as_in_Node(string name)
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;

        Assert.Equal($"\"{name}\" is a reserved event name (Parameter 'eventName')", Assert.Throws<ArgumentException>(() => socket.Emit(name, 1)).Message);
        await Assert.ThrowsAsync<ArgumentException>(() => socket.EmitWithAckAsync(name));
        await Assert.ThrowsAsync<ArgumentException>(async () => await nsp.EmitAsync(name));
        await Assert.ThrowsAsync<ArgumentException>(async () => await nsp.To("room").EmitAsync(name));
        await Assert.ThrowsAsync<ArgumentException>(() => nsp.Timeout(TimeSpan.FromSeconds(1)).EmitWithAckAsync(name));

        // Nothing reached the client: the next packet it reads is this one.
        socket.Emit("after", 1);
        Assert.Equal($"42{nsp.Name},[\"after\",1]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Ack_with_null_or_an_array_answers_one_argument()
    {
        var nsp = fixture.NewNamespace();
        nsp.On("null", e => e.Ack(null));
        nsp.On("array", e => e.Ack(new[] { 1, 2 }));
        var (client, _) = await JoinAsync(nsp);
        await using var __ = client;

        await client.SendAsync($"42{nsp.Name},1[\"null\"]");
        Assert.Equal($"43{nsp.Name},1[null]", await client.ReceiveTextAsync());
        await client.SendAsync($"42{nsp.Name},2[\"array\"]");
        Assert.Equal($"43{nsp.Name},2[[1,2]]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Once_runs_for_the_next_event_only_and_Off_removes_one_listener()
    {
        var nsp = fixture.NewNamespace();
        var calls = new ConcurrentQueue<string>();
        var (client, socket) = await JoinAsync(nsp);
        await using var _ = client;
        Action<SocketEvent> kept = e => calls.Enqueue("kept");
        Action<SocketEvent> removed = e => calls.Enqueue("removed");
        socket.Once("e", e => calls.Enqueue("once"));
        socket.On("e", kept);
        socket.On("e", removed);
        socket.On("marker", e => e.Ack());

        Assert.Equal(3, socket.Listeners("e").Count);
        await client.SendAsync($"42{nsp.Name},[\"e\"]");
        await client.SendAsync($"42{nsp.Name},1[\"marker\"]");
        Assert.Equal($"43{nsp.Name},1[]", await client.ReceiveTextAsync());
        socket.Off("e", removed);
        await client.SendAsync($"42{nsp.Name},[\"e\"]");
        await client.SendAsync($"42{nsp.Name},2[\"marker\"]");
        Assert.Equal($"43{nsp.Name},2[]", await client.ReceiveTextAsync());

        Assert.Equal(["once", "kept", "removed", "kept"], calls);
        Assert.Equal([kept], socket.Listeners("e"));
    }

    [Fact]
    public async Task OffConnection_removes_a_connection_handler()
    {
        var nsp = fixture.NewNamespace();
        var connections = new ConcurrentQueue<string>();
        Action<Socket> handler = s => connections.Enqueue(s.Id);
        nsp.OnConnection(handler);
        var (first, firstSocket) = await JoinAsync(nsp);
        await using var _ = first;

        nsp.OffConnection(handler);
        var (second, _) = await JoinAsync(nsp);
        await using var __ = second;

        Assert.Equal([firstSocket.Id], connections);
    }

    [Fact]
    public async Task A_middleware_exception_is_hidden_from_the_client_when_ExposeMiddlewareErrors_is_off()
    {
        var nsp = fixture.NewNamespace();
        nsp.Use((_, _) => throw new InvalidOperationException("secret detail"));
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync($"40{nsp.Name},");

        Assert.Equal($"44{nsp.Name},{{\"message\":\"Internal server error\"}}", await client.ReceiveTextAsync());
        Assert.Contains(fixture.Host.Logs.TakeErrors(), line => line.Contains("middleware", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_empty_child_namespace_is_removed_and_made_again_on_the_next_connection()
    {
        var created = new ConcurrentQueue<Namespace>();
        var removed = new TaskCompletionSource<Namespace>(TaskCreationOptions.RunContinuationsAsynchronously);
        var name = $"/clean-{Guid.NewGuid():N}";
        fixture.Io.Of(new Regex($"^{Regex.Escape(name)}$"));
        fixture.Io.NamespaceCreated += nsp => { if (nsp.Name == name) created.Enqueue(nsp); };
        fixture.Io.NamespaceRemoved += nsp => { if (nsp.Name == name) removed.TrySetResult(nsp); };

        await using (var client = await SocketIOTestClient.OpenAsync(fixture.Host))
        {
            await client.JoinAsync(name);
            await client.SendAsync($"41{name},");
            Assert.Same(Assert.Single(created), await removed.Task.Within());
        }
        Assert.DoesNotContain(fixture.Io.Namespaces, n => n.Name == name);

        await using var again = await SocketIOTestClient.OpenAsync(fixture.Host);
        await again.JoinAsync(name);
        Assert.Equal(2, created.Count);
        Assert.NotSame(created.First(), created.Last());
        Assert.Same(created.Last(), Assert.Single(fixture.Io.Namespaces, n => n.Name == name));
    }

    [Fact]
    public async Task Disconnecting_sees_the_rooms_and_a_connected_socket_and_Disconnected_sees_neither()
    {
        var nsp = fixture.NewNamespace();
        var (client, socket) = await JoinAsync(nsp);
        socket.Join("kept");
        var atDisconnecting = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var atDisconnected = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connectedWhileLeaving = false;
        socket.Disconnecting += (s, _) =>
        {
            connectedWhileLeaving = s.Connected;
            atDisconnecting.TrySetResult([.. s.Rooms.Order(StringComparer.Ordinal)]);
        };
        socket.Disconnected += (s, _) => atDisconnected.TrySetResult([.. s.Rooms]);

        await client.DisposeAsync();

        Assert.Equal(new[] { socket.Id, "kept" }.Order(StringComparer.Ordinal), await atDisconnecting.Task.Within());
        Assert.Empty(await atDisconnected.Task.Within());
        Assert.True(connectedWhileLeaving, "as socket.io's disconnecting, the socket is still connected");
        Assert.False(socket.Connected);
    }
}
