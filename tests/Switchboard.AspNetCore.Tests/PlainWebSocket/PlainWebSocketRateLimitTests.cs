using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// A host whose clock only moves when told (<see cref="ManualTimeProvider"/>), with <c>/ws-rate</c>: 3
/// publishes in a burst then 1 per second, 2 invalid frames in a burst then 1 per second.
/// </summary>
public sealed class PlainRateLimitFixture : PlainWebSocketFixture
{
    public ManualTimeProvider Clock { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);

    protected override void ConfigureApp(WebApplication app) =>
        app.MapChannelWebSocket("/ws-rate", configure: o =>
        {
            o.PublishesPerSecond = 1;
            o.PublishBurst = 3;
            o.InvalidFrameBurst = 2;
            o.InvalidFramesPerSecond = 1;
        });
}

/// <summary>Per-connection token buckets for publishes and for invalid frames.</summary>
public sealed class PlainWebSocketRateLimitTests(PlainRateLimitFixture fixture) : PlainTestBase(fixture), IClassFixture<PlainRateLimitFixture>
{
    [Fact]
    public async Task Publishing_faster_than_the_limit_gets_rate_limited_until_tokens_refill()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var watcher = await ConnectAsync();
        await watcher.OkAsync("subscribe", new { channel });
        var client = await ConnectAsync("/ws-rate");
        for (var i = 1; i <= 3; i++)
        {
            await client.OkAsync("publish", new { channel, data = i });
        }

        var message = await client.ErrorAsync("publish", new { channel, data = 4 }, "rate_limited");
        await client.ErrorAsync("publish", new { channel, data = 5 }, "rate_limited");
        fixture.Clock.Jump(TimeSpan.FromSeconds(1));
        var ack = await client.OkAsync("publish", new { channel, data = 6 });

        Assert.Contains("1 publishes per second", message);
        Assert.Equal(4, Offset(ack));
        Assert.Equal([1, 2, 3, 6], (await watcher.PublicationsAsync(4)).Select(p => Data(p).GetInt32()));
        // One log line per run of refusals.
        await Fixture.Log.WaitForAsync(PlainLogEvents.RequestRefused, client.ConnectionId, "rate_limited").Within();
        Assert.Single(Fixture.Log.Entries, e => e.EventId == PlainLogEvents.RequestRefused && e.Message.Contains(client.ConnectionId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_connection_has_its_own_publish_budget()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var greedy = await ConnectAsync("/ws-rate");
        var other = await ConnectAsync("/ws-rate");
        for (var i = 0; i < 3; i++)
        {
            await greedy.OkAsync("publish", new { channel, data = i });
        }
        await greedy.ErrorAsync("publish", new { channel }, "rate_limited");

        for (var i = 0; i < 3; i++)
        {
            await other.OkAsync("publish", new { channel, data = i });
        }
    }

    [Fact]
    public async Task Other_requests_are_not_rate_limited()
    {
        var channel = PlainWebSocketFixture.NewChannel();
        var client = await ConnectAsync("/ws-rate");
        for (var i = 0; i < 3; i++)
        {
            await client.OkAsync("publish", new { channel, data = i });
        }

        await client.ErrorAsync("publish", new { channel }, "rate_limited");
        await client.OkAsync("subscribe", new { channel });
        await client.OkAsync("history", new { channel });
        await client.OkAsync("ping");
    }

    [Fact]
    public async Task Invalid_frames_are_forgiven_at_the_refill_rate_and_a_flood_closes_with_1008()
    {
        var client = await ConnectAsync("/ws-rate");
        await client.SendTextAsync("nonsense");
        await client.SendTextAsync("nonsense");
        PlainClient.AssertError(await client.NextAsync(), "bad_request");
        PlainClient.AssertError(await client.NextAsync(), "bad_request");

        fixture.Clock.Jump(TimeSpan.FromSeconds(1));
        await client.SendTextAsync("nonsense");
        PlainClient.AssertError(await client.NextAsync(), "bad_request");
        await client.OkAsync("ping");
        await client.SendTextAsync("nonsense");

        var close = await client.NextPushAsync("close");
        Assert.Equal("bad_request", close.GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, (await client.WaitClosedAsync()).Status);
        await Fixture.Log.WaitForAsync(PlainLogEvents.InvalidFrameFlood, client.ConnectionId).Within();
    }
}
