using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

public sealed class SocketConnectTests(SocketIOFixture fixture) : IClassFixture<SocketIOFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task A_client_connects_to_the_main_namespace()
    {
        var (client, sid) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        await using var _ = client;

        var socket = SocketIOFixture.ServerSocket(fixture.Io.Main, sid);
        Assert.True(socket.Connected);
        Assert.Equal("/", socket.Namespace.Name);
        Assert.Equal(client.EngineSid, socket.Connection.Id);
        Assert.Equal(20, sid.Length);
    }

    [Fact]
    public async Task The_main_namespace_answers_events_once_connected()
    {
        var (client, _) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        await using var __ = client;

        await client.SendAsync("425[\"echo\",1,\"two\",{\"three\":[3]}]");

        Assert.Equal("435[1,\"two\",{\"three\":[3]}]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_client_connects_to_a_custom_namespace()
    {
        var nsp = fixture.NewNamespace();
        var connected = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        nsp.OnConnection(socket => connected.TrySetResult(socket));
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync($"40{nsp.Name},");

        var reply = await client.ReceiveTextAsync();
        var socket = await connected.Task.Within();
        Assert.Equal($"40{nsp.Name},{{\"sid\":\"{socket.Id}\"}}", reply);
        Assert.Same(nsp, socket.Namespace);
        Assert.Same(socket, nsp.Sockets[socket.Id]);
        Assert.DoesNotContain(fixture.Io.Main.Sockets.Values, s => s.Connection.Id == client.EngineSid);
    }

    [Fact]
    public async Task One_connection_joins_several_namespaces_each_with_its_own_socket()
    {
        var first = fixture.NewNamespace();
        var second = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        var firstId = await client.JoinAsync(first.Name);
        var secondId = await client.JoinAsync(second.Name);
        var mainId = await client.JoinAsync("/");

        Assert.Equal(3, new[] { firstId, secondId, mainId }.Distinct().Count());
        Assert.Same(SocketIOFixture.ServerSocket(first, firstId).Connection, SocketIOFixture.ServerSocket(second, secondId).Connection);
        await client.SendAsync("427[\"echo\",\"main\"]");
        Assert.Equal("437[\"main\"]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task The_auth_payload_is_visible_in_the_handshake()
    {
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        var sid = await client.JoinAsync(nsp.Name, "{\"token\":\"abc\",\"level\":3,\"tags\":[\"x\"]}");

        var handshake = SocketIOFixture.ServerSocket(nsp, sid).Handshake;
        Assert.Equal("abc", handshake.Auth.GetProperty("token").GetString());
        Assert.Equal(3, handshake.Auth.GetProperty("level").GetInt32());
        Assert.Equal("x", handshake.Auth.GetProperty("tags")[0].GetString());
        Assert.Equal(new AuthPayload("abc", 3), handshake.GetAuth<AuthPayload>());
    }

    private sealed record AuthPayload(string Token, int Level);

    [Fact]
    public async Task Without_an_auth_payload_the_handshake_has_an_empty_object()
    {
        var nsp = fixture.NewNamespace();
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        var sid = await client.JoinAsync(nsp.Name);

        var auth = SocketIOFixture.ServerSocket(nsp, sid).Handshake.Auth;
        Assert.Equal(JsonValueKind.Object, auth.ValueKind);
        Assert.Empty(auth.EnumerateObject());
    }

    [Fact]
    public async Task The_handshake_carries_the_http_request_of_the_connection()
    {
        var nsp = fixture.NewNamespace();
        using var ws = new System.Net.WebSockets.ClientWebSocket();
        ws.Options.SetRequestHeader("X-Client", "tests");
        var url = new UriBuilder(EngineWebSocketClient.Url(fixture.Host.BaseAddress, "/socket.io")) ;
        url.Query = url.Query.TrimStart('?') + "&room=lobby";
        await ws.ConnectAsync(url.Uri, CancellationToken.None).Within();
        var buffer = new byte[1024];
        await ws.ReceiveAsync(buffer, CancellationToken.None).Within();
        await ws.SendAsync(System.Text.Encoding.UTF8.GetBytes($"40{nsp.Name},"), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None).Within();
        var received = await ws.ReceiveAsync(buffer, CancellationToken.None).Within();
        var reply = System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count);
        var sid = JsonDocument.Parse(reply[(3 + nsp.Name.Length)..]).RootElement.GetProperty("sid").GetString()!;

        var handshake = SocketIOFixture.ServerSocket(nsp, sid).Handshake;

        Assert.Equal("lobby", handshake.Query["room"]);
        Assert.Equal("websocket", handshake.Query["transport"]);
        Assert.Equal("tests", handshake.Headers["x-client"]);
        Assert.NotNull(handshake.Address);
        Assert.False(handshake.Secure);
        ws.Abort();
    }

    [Fact]
    public async Task Middleware_refusing_with_SocketConnectException_sends_connect_error_with_its_data()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync("40{\"refuse\":true}");

        Assert.Equal("44{\"message\":\"msg\",\"data\":{\"code\":42}}", await client.ReceiveTextAsync());
        Assert.DoesNotContain(fixture.Io.Main.Sockets.Values, s => s.Connection.Id == client.EngineSid);
        // The connection stays usable: the client may try again.
        await client.JoinAsync("/", "{\"user\":\"second try\"}");
    }

    [Fact]
    public async Task Middleware_of_a_custom_namespace_refuses_with_the_namespace_in_the_packet()
    {
        var nsp = fixture.NewNamespace();
        var connected = false;
        nsp.Use((_, _) => throw new SocketConnectException("not today"));
        nsp.OnConnection(_ => connected = true);
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync($"40{nsp.Name},");

        Assert.Equal($"44{nsp.Name},{{\"message\":\"not today\"}}", await client.ReceiveTextAsync());
        Assert.Empty(nsp.Sockets);
        Assert.False(connected);
    }

    [Fact]
    public async Task Asynchronous_middleware_runs_in_order_before_the_socket_connects()
    {
        var nsp = fixture.NewNamespace();
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        nsp.Use(async (socket, next) =>
        {
            order.Enqueue("first");
            await Task.Yield();
            socket.Data["checked"] = true;
            await next();
        });
        nsp.Use((socket, next) =>
        {
            order.Enqueue(socket.Connected ? "second after connect" : "second");
            return next();
        });
        nsp.OnConnection(socket => order.Enqueue("connection " + socket.Data["checked"]));
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        var sid = await client.JoinAsync(nsp.Name);

        Assert.True(SocketIOFixture.ServerSocket(nsp, sid).Connected);
        Assert.Equal(["first", "second"], order.Take(2));
    }

    [Fact]
    public async Task Middleware_that_does_not_call_next_refuses_the_socket()
    {
        var nsp = fixture.NewNamespace();
        nsp.Use((_, _) => ValueTask.CompletedTask);
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync($"40{nsp.Name},");

        Assert.StartsWith($"44{nsp.Name},{{\"message\":", await client.ReceiveTextAsync());
        Assert.Empty(nsp.Sockets);
    }

    [Fact]
    public async Task A_dynamic_namespace_is_created_for_names_matching_a_regex()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        var sid = await client.JoinAsync("/dyn-123");
        await client.SendAsync("42/dyn-123,1[\"where\"]");

        // The parent's connection handler and shared event handler both ran for the child.
        Assert.Equal("43/dyn-123,1[\"/dyn-123\",\"regex\"]", await client.ReceiveTextAsync());
        var nsp = fixture.Io.Namespaces.Single(n => n.Name == "/dyn-123");
        Assert.NotNull(nsp.Parent);
        Assert.True(SocketIOFixture.ServerSocket(nsp, sid).Connected);
    }

    [Fact]
    public async Task Names_not_matching_the_regex_are_invalid_namespaces()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync("40/dyn-abc,");

        Assert.Equal("44/dyn-abc,{\"message\":\"Invalid namespace\"}", await client.ReceiveTextAsync());
        Assert.DoesNotContain(fixture.Io.Namespaces, n => n.Name == "/dyn-abc");
    }

    [Fact]
    public async Task A_dynamic_namespace_is_created_when_its_predicate_accepts_the_name_and_auth()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.JoinAsync("/pred-a", "{\"key\":\"open-sesame\"}");
        await client.SendAsync("42/pred-a,4[\"where\"]");

        Assert.Equal("43/pred-a,4[\"/pred-a\",\"predicate\"]", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_predicate_refusing_the_auth_makes_the_namespace_invalid()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync("40/pred-b,{\"key\":\"wrong\"}");

        Assert.Equal("44/pred-b,{\"message\":\"Invalid namespace\"}", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task An_unknown_namespace_is_refused_with_invalid_namespace()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);

        await client.SendAsync("40/x,");

        Assert.Equal("44/x,{\"message\":\"Invalid namespace\"}", await client.ReceiveTextAsync());
        await client.JoinAsync("/");
    }
}
