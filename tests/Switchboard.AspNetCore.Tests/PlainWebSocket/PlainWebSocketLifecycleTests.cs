using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// Extra endpoints for connection lifecycle tests: <c>/ws-heartbeat</c> pings every 100 ms and gives up
/// after 1 s without a pong; <c>/ws-slow</c> lets 8 messages wait for a client; <c>/ws-stuck</c> gives a
/// send 300 ms; <c>/ws-budget</c> lets 256 KB wait (and gives a send 500 ms). The other endpoints get a budget far above what the
/// tests publish, so that a reading client is never cut by a burst published in a tight loop.
/// </summary>
public sealed class PlainLifecycleFixture : PlainWebSocketFixture
{
    public const int SlowMaxQueued = 8;
    public const long SmallBudget = 256 * 1024;

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Configure<Switchboard.SocketIO.SocketServerOptions>(o => o.Channels.MaxQueuedBytes = 1L << 30);
    }

    protected override void ConfigureApp(WebApplication app)
    {
        app.MapChannelWebSocket("/ws-budget", configure: o =>
        {
            o.MaxQueuedBytes = SmallBudget;
            // A close frame that cannot get through (the client reads nothing) is given up this soon.
            o.SendTimeout = TimeSpan.FromMilliseconds(500);
        });
        app.MapChannelWebSocket("/ws-heartbeat", configure: o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            // Long enough for a client that reads to answer even while the server's first connection is
            // still being compiled (300 ms was not, run alone on a busy machine).
            o.KeepAliveTimeout = TimeSpan.FromSeconds(1);
        });
        app.MapChannelWebSocket("/ws-slow", configure: o => o.MaxQueued = SlowMaxQueued);
        app.MapChannelWebSocket("/ws-stuck", configure: o => o.SendTimeout = TimeSpan.FromMilliseconds(300));
    }
}

/// <summary>Heartbeat, slow and stuck clients, server-side disconnects and shutdown.</summary>
public sealed class PlainWebSocketLifecycleTests(PlainLifecycleFixture fixture) : PlainTestBase(fixture), IClassFixture<PlainLifecycleFixture>
{
    // Clients that stop reading use a small TCP receive buffer (which also turns off its autotuning), but
    // the server's send buffer still grows to a few MB: 20 MB of publications surely fill what the
    // network holds, so the server's sends block.
    private const int BigCount = 1000;
    private static readonly string Big = new('x', 20_000);

    private readonly List<NonReadingWebSocket> _clients = [];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task A_client_that_never_answers_the_servers_pings_is_dropped_and_one_that_does_stays()
    {
        var answering = await ConnectAsync("/ws-heartbeat");
        var silent = await ConnectAsync("/ws-heartbeat", read: false);

        // The silent client never reads, so its WebSocket never answers a Ping with a Pong: its
        // connection ends (the close message says "connection lost" or "connection ended", whichever of
        // the socket's abort and the request's end is seen first), and the answering one's does not.
        await Fixture.Log.WaitForAsync(e => e.EventId == PlainLogEvents.Closed && !e.Message.Contains(answering.ConnectionId, StringComparison.Ordinal)).Within();

        // By now at least one ping went by for the answering client too.
        await answering.OkAsync("ping");
        Assert.Equal(WebSocketState.Open, answering.State);
        await silent.DisposeAsync();
    }

    [Fact]
    public async Task A_slow_consumer_is_disconnected_with_slow_consumer_and_4001_while_others_get_everything()
    {
        const int count = BigCount;
        var channel = PlainWebSocketFixture.NewChannel("small");
        var bystander = await ConnectAsync();
        await bystander.OkAsync("subscribe", new { channel });
        using var slow = await ConnectNonReadingAsync("/ws-slow");
        var welcome = await ReceiveAsync(slow);
        await slow.SendAsync(Encoding.UTF8.GetBytes(PlainClient.Request(1, "subscribe", new { channel })), WebSocketMessageType.Text, true, CancellationToken.None).Within();
        Assert.True((await ReceiveAsync(slow)).GetProperty("ok").GetBoolean());
        var connectionId = welcome.GetProperty("connectionId").GetString()!;
        var disconnected = Fixture.Log.WaitForAsync(PlainLogEvents.Disconnecting, connectionId, "slow_consumer");

        // The slow client stops reading while the server publishes far more than its buffers hold.
        for (var i = 1; i <= count; i++)
        {
            await Fixture.Hub.PublishAsync([channel], "big", [new { i, pad = Big }]).Within();
        }
        await disconnected.Within();

        var received = new List<long>();
        JsonElement frame;
        while ((frame = await ReceiveAsync(slow)).GetProperty("type").GetString() == "pub")
        {
            received.Add(frame.GetProperty("offset").GetInt64());
        }
        Assert.Equal("close", frame.GetProperty("type").GetString());
        Assert.Equal("slow_consumer", frame.GetProperty("code").GetString());
        Assert.True(frame.GetProperty("reconnect").GetBoolean());
        var result = await slow.ReceiveAsync(new byte[16], CancellationToken.None).Within();
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(4001, (int)result.CloseStatus!);
        // What it got before the close is a gapless prefix, so it can resume from the last offset it saw.
        Assert.InRange(received.Count, 0, count - PlainLifecycleFixture.SlowMaxQueued);
        Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received);
        var all = await bystander.PublicationsAsync(count);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), all.Select(Offset));
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_cut_at_its_byte_budget_with_slow_consumer_while_others_get_everything()
    {
        var channel = PlainWebSocketFixture.NewChannel("small");
        var bystander = await ConnectAsync();
        await bystander.OkAsync("subscribe", new { channel });
        using var slow = await ConnectNonReadingAsync("/ws-budget");
        var welcome = await ReceiveAsync(slow);
        await slow.SendAsync(Encoding.UTF8.GetBytes(PlainClient.Request(1, "subscribe", new { channel })), WebSocketMessageType.Text, true, CancellationToken.None).Within();
        Assert.True((await ReceiveAsync(slow)).GetProperty("ok").GetBoolean());
        var connectionId = welcome.GetProperty("connectionId").GetString()!;
        var disconnected = Fixture.Log.WaitForAsync(PlainLogEvents.Disconnecting, connectionId, "slow_consumer");

        // 20 KB publications until the budget of 256 KB is passed: what the network buffers hold first
        // depends on the machine (the server's send buffer grows to a few MB), so at most 2,000 (40 MB).
        var count = 0;
        while (!disconnected.IsCompleted && count < 2000)
        {
            count++;
            await Fixture.Hub.PublishAsync([channel], "big", [new { i = count, pad = Big }]).Within();
        }
        await disconnected.Within();
        await Fixture.Log.WaitForAsync(PlainLogEvents.Closed, connectionId).Within();
        Assert.Equal(1, Fixture.Hub.PresenceCount(channel));

        // Whatever it reads afterwards is a gapless prefix, then the close with slow_consumer (or the
        // connection dropped by the send time limit before the close got through).
        var received = new List<long>();
        try
        {
            JsonElement frame;
            while ((frame = await ReceiveAsync(slow)).GetProperty("type").GetString() == "pub")
            {
                received.Add(frame.GetProperty("offset").GetInt64());
            }
            Assert.Equal("slow_consumer", frame.GetProperty("code").GetString());
        }
        catch (WebSocketException)
        {
        }
        Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received);
        Assert.True(received.Count < count);
        var all = await bystander.PublicationsAsync(count);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), all.Select(Offset));
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_when_a_send_times_out()
    {
        var channel = PlainWebSocketFixture.NewChannel("small");
        using var stuck = await ConnectNonReadingAsync("/ws-stuck");
        var connectionId = (await ReceiveAsync(stuck)).GetProperty("connectionId").GetString()!;
        await stuck.SendAsync(Encoding.UTF8.GetBytes(PlainClient.Request(1, "subscribe", new { channel })), WebSocketMessageType.Text, true, CancellationToken.None).Within();
        Assert.True((await ReceiveAsync(stuck)).GetProperty("ok").GetBoolean());
        var timedOut = Fixture.Log.WaitForAsync(PlainLogEvents.SendTimedOut, connectionId);
        var closed = Fixture.Log.WaitForAsync(PlainLogEvents.Closed, connectionId);

        for (var i = 1; i <= BigCount; i++)
        {
            await Fixture.Hub.PublishAsync([channel], "big", [new { i, pad = Big }]).Within();
        }

        await timedOut.Within();
        await closed.Within();
        var bystander = await ConnectAsync();
        Assert.Equal(0, (await bystander.OkAsync("presence", new { channel })).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Disconnecting_by_id_sends_close_disconnected_and_4500()
    {
        var client = await ConnectAsync();

        Assert.True(Fixture.Hub.Disconnect(client.ConnectionId, "kicked by the admin"));

        var close = await client.NextPushAsync("close");
        Assert.Equal("""{"type":"close","code":"disconnected","reason":"kicked by the admin","reconnect":false}""", close.GetRawText());
        var (status, description) = await client.WaitClosedAsync();
        Assert.Equal(4500, (int)status!);
        Assert.Equal("disconnected", description);
        await Fixture.Log.WaitForAsync(PlainLogEvents.Disconnecting, client.ConnectionId, "disconnected").Within();
        Assert.False(Fixture.Hub.Disconnect(client.ConnectionId));
    }

    [Fact]
    public async Task Stopping_the_server_closes_connections_with_shutdown_and_1001()
    {
        var log = new PlainLogRecorder();
        await using var host = await PlainWebSocketFixture.StartHostAsync(log);
        var client = Track(await PlainClient.ConnectAsync(host));
        await client.OkAsync("subscribe", new { channel = "anything" });

        var stopping = host.StopAsync();
        var close = await client.NextPushAsync("close");
        var (status, _) = await client.WaitClosedAsync();
        await stopping.Within();

        Assert.Equal("shutdown", close.GetProperty("code").GetString());
        Assert.True(close.GetProperty("reconnect").GetBoolean());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        host.Logs.AssertNoErrors();
    }

    /// <summary>A WebSocket over a TCP socket with a 4 KB receive buffer.</summary>
    private async Task<ClientWebSocket> ConnectNonReadingAsync(string path)
    {
        var client = await NonReadingWebSocket.ConnectAsync(PlainClient.Url(Host, path));
        _clients.Add(client);
        return client.Socket;
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket)
    {
        using var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, CancellationToken.None).Within();
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
    }
}
