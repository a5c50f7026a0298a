using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Client.Channels;
using Switchboard.Client.Tests.Infrastructure;
using static Switchboard.Client.Tests.Channels.ChannelTestKit;

namespace Switchboard.Client.Tests.Channels;

/// <summary>What no real server sends: the client logs it, skips it or drops the connection, and never crashes. And bad arguments.</summary>
[Collection(ChannelClientCollection.Name)]
public sealed class ChannelBadInputTests
{
    private static async Task<(WebApplication App, Uri Uri)> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        map(app);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new Uri(address + "/"));
    }

    private static Task SendAsync(WebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task Unreadable_WebSocket_frames_are_logged_and_skipped_and_the_next_good_one_is_delivered()
    {
        var (app, uri) = await StartAsync(app => app.Map("/ws", async (HttpContext context) =>
        {
            using var ws = await context.WebSockets.AcceptWebSocketAsync("switchboard.v1");
            await SendAsync(ws, """{"type":"welcome","v":1,"connectionId":"scripted","maxMessageSize":65536}""");
            var buffer = new byte[4096];
            var request = await ws.ReceiveAsync(buffer, CancellationToken.None); // the subscribe
            Assert.Contains("\"op\":\"subscribe\"", Encoding.UTF8.GetString(buffer, 0, request.Count), StringComparison.Ordinal);
            await SendAsync(ws, "not json");
            await SendAsync(ws, "[1,2]");
            await SendAsync(ws, """{"type":"pub","channel":"prices"}""");
            await SendAsync(ws, """{"type":"discontinuity","channel":"prices","offset":"x"}""");
            await ws.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
            await SendAsync(ws, """{"id":1,"ok":true,"channel":"prices","offset":0,"epoch":"e1"}""");
            await SendAsync(ws, """{"type":"pub","channel":"prices","offset":1,"epoch":"e1","event":"tick","data":1}""");
            while ((await ws.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
            {
            }
        }));
        await using var _ = app;
        var logs = new LogRecorder();
        await using var client = new ChannelClient(uri, Options(ChannelTransport.WebSocket, logs));
        var drops = 0;
        client.Disconnected += _ => Interlocked.Increment(ref drops);
        var subscription = client.Subscribe("prices");
        await using var items = subscription.GetAsyncEnumerator();

        var item = Assert.IsType<ChannelPublication>(Assert.Single(await items.TakeAsync(1)));
        Assert.Equal((new ChannelPosition(1, "e1"), "tick"), (item.Position, item.Event));
        Assert.Equal(new ChannelPosition(0, "e1"), await subscription.Subscribed.Within());
        var problems = logs.Messages(105).ToList();
        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("malformed JSON", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("binary", StringComparison.Ordinal));
        Assert.Equal(0, Volatile.Read(ref drops));
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_server_that_stops_answering_pings_is_dropped_after_the_request_timeout()
    {
        var pinged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (app, uri) = await StartAsync(app => app.Map("/ws", async (HttpContext context) =>
        {
            using var ws = await context.WebSockets.AcceptWebSocketAsync("switchboard.v1");
            await SendAsync(ws, """{"type":"welcome","v":1,"connectionId":"mute","maxMessageSize":65536}""");
            var buffer = new byte[4096];
            while (true)
            {
                var received = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                var text = Encoding.UTF8.GetString(buffer, 0, received.Count);
                if (text.Contains("\"op\":\"subscribe\"", StringComparison.Ordinal))
                {
                    await SendAsync(ws, """{"id":1,"ok":true,"channel":"prices","offset":0,"epoch":"e1"}""");
                }
                else if (text.Contains("\"op\":\"ping\"", StringComparison.Ordinal))
                {
                    pinged.TrySetResult(); // and never answer
                }
            }
        }));
        await using var _ = app;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var logs = new LogRecorder();
        await using var client = new ChannelClient(uri, Options(ChannelTransport.WebSocket, logs) with { TimeProvider = time });
        var dropped = new TaskCompletionSource<ChannelDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += e => dropped.TrySetResult(e);
        await client.Subscribe("prices").Subscribed.Within();

        time.Advance(client.Options.PingInterval);
        await pinged.Task.Within();
        time.Advance(client.Options.RequestTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(dropped.Task.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var drop = await dropped.Task.Within();
        Assert.Equal((ChannelTransport.WebSocket, "ping_timeout", true), (drop.Transport, drop.Code, drop.WillReconnect));
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task Unreadable_SSE_events_are_logged_and_skipped_and_the_next_good_one_is_delivered()
    {
        var (app, uri) = await StartAsync(app => app.MapGet("/sse", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("""
                retry: 3000

                event: subscribed
                id: v1~0.e1
                data: {"connectionId":"scripted","resumed":false,"channels":[{"channel":"prices","epoch":"e1","offset":0}]}

                event: tick
                data: not json

                event: tick
                data: {"channel":"prices"}

                event: discontinuity
                data: [1]

                : a comment

                event: tick
                id: v1~1.e1
                data: {"channel":"prices","offset":1,"epoch":"e1",
                data: "event":"tick","data":1}


                """.ReplaceLineEndings("\n"));
            await context.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        }));
        await using var _ = app;
        var logs = new LogRecorder();
        await using var client = new ChannelClient(uri, Options(ChannelTransport.ServerSentEvents, logs));
        var subscription = client.Subscribe("prices");
        await using var items = subscription.GetAsyncEnumerator();

        var item = Assert.IsType<ChannelPublication>(Assert.Single(await items.TakeAsync(1)));
        Assert.Equal((new ChannelPosition(1, "e1"), "tick", "1"), (item.Position, item.Event, item.Data.GetRawText()));
        var problems = logs.Messages(105).ToList();
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("malformed JSON", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("not a JSON object", StringComparison.Ordinal));
        Assert.Equal(ChannelClientState.Connected, client.State);
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task Answers_that_are_not_the_protocols_fail_the_transport_with_a_clear_code_and_the_client_retries()
    {
        var (app, uri) = await StartAsync(app =>
        {
            app.MapGet("/sse", (HttpContext context) =>
            {
                context.Response.ContentType = "text/html";
                return context.Response.WriteAsync("<html>a captive portal</html>");
            });
            app.MapGet("/poll", (HttpContext context) =>
            {
                context.Response.ContentType = "application/json";
                return context.Response.WriteAsync(context.Request.Query.ContainsKey("cursor") ? "{}" : """{"publications":[],"cursor":"garbage"}""");
            });
        });
        await using var _ = app;
        var logs = new LogRecorder();
        await using var client = new ChannelClient(uri, Options(null, logs) with { Transports = [ChannelTransport.ServerSentEvents, ChannelTransport.LongPoll] });
        var failures = Channel.CreateUnbounded<ChannelClientException>();
        client.TransportFailed += e => failures.Writer.TryWrite(e);
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnecting += _ => reconnecting.TrySetResult();
        client.Subscribe("prices");

        var sse = await failures.Reader.ReadAsync().AsTask().Within();
        Assert.Equal((ChannelTransport.ServerSentEvents, "transport_failed"), (sse.Transport, sse.Code));
        Assert.Contains("text/html", sse.Message, StringComparison.Ordinal);
        var poll = await failures.Reader.ReadAsync().AsTask().Within();
        Assert.Equal((ChannelTransport.LongPoll, "bad_response"), (poll.Transport, poll.Code));
        await reconnecting.Task.Within();
        Assert.Contains(logs.Messages(105), m => m.Contains("garbage", StringComparison.Ordinal));
        Assert.NotEqual(ChannelClientState.Closed, client.State);
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task Bad_arguments_and_options_are_refused_at_once()
    {
        Assert.Throws<ArgumentException>(() => new ChannelClient(new Uri("ftp://host/")));
        Assert.Throws<ArgumentException>(() => new ChannelClient(new Uri("http://host/"), new ChannelClientOptions { Transports = [] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChannelClient(new Uri("http://host/"), new ChannelClientOptions { ReconnectionDelay = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChannelClient(new Uri("http://host/"), new ChannelClientOptions { SubscriptionCapacity = 0 }));

        await using var client = new ChannelClient(new Uri("http://127.0.0.1:1/"));
        Assert.Throws<ArgumentException>(() => client.Subscribe(""));
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Subscribe("a", new ChannelPosition(-1, "e")));
        Assert.Throws<ArgumentException>(() => client.Subscribe("a", new ChannelPosition(1, "")));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PublishAsync("", 1));
        await Assert.ThrowsAsync<ArgumentException>(() => client.PublishAsync("a", 1, eventName: ""));
        Assert.Equal(ChannelClientState.Idle, client.State);
        await client.DisposeAsync();
        var closed = Assert.Throws<ChannelClientException>(() => client.Subscribe("a"));
        Assert.Equal("closed", closed.Code);
        Assert.Equal("closed", (await Assert.ThrowsAsync<ChannelClientException>(() => client.PublishAsync("a", 1))).Code);
    }
}
