using System.Net;
using System.Net.WebSockets;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Tests.EngineIO;

public sealed class EngineUpgradeTests(EchoEngineFixture fixture) : IClassFixture<EchoEngineFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task Polling_upgrades_to_websocket_releasing_the_held_poll_with_a_noop()
    {
        using var polling = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await polling.HandshakeAsync();
        var session = fixture.Session(polling.Sid).Session;
        var arrived = fixture.WhenPollArrives(polling.Sid);
        var heldPoll = polling.PollAsync();
        await arrived;
        session.WaitUntilPollHeld();

        await using var ws = await EngineWebSocketClient.ConnectAsync(fixture.Host.BaseAddress, "/engine.io", polling.Sid);
        await ws.SendAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());
        Assert.Equal(["6"], await heldPoll);
        Assert.Equal(EngineTransportKind.Polling, session.Transport);
        await ws.SendAsync("5");
        await ws.SendAsync("4after upgrade");

        Assert.Equal("4after upgrade", await ws.ReceiveTextAsync());
        Assert.Equal(EngineTransportKind.WebSocket, session.Transport);
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task Messages_sent_while_upgrading_arrive_over_the_websocket()
    {
        using var polling = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await polling.HandshakeAsync();
        var session = fixture.Session(polling.Sid).Session;
        await using var ws = await EngineWebSocketClient.ConnectAsync(fixture.Host.BaseAddress, "/engine.io", polling.Sid);
        await ws.SendAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());

        session.SendText("during upgrade"u8);
        await ws.SendAsync("5");

        Assert.Equal("4during upgrade", await ws.ReceiveTextAsync());
    }

    [Fact]
    public async Task After_the_upgrade_polling_requests_are_refused_and_the_session_lives_on()
    {
        using var polling = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await polling.HandshakeAsync();
        await using var ws = await EngineWebSocketClient.ConnectAsync(fixture.Host.BaseAddress, "/engine.io", polling.Sid);
        await ws.SendAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());
        await ws.SendAsync("5");
        await ws.SendAsync("4sync");
        Assert.Equal("4sync", await ws.ReceiveTextAsync());

        using var get = await polling.GetAsync();
        using var post = await polling.PostRawAsync("4late");

        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        await ws.SendAsync("4still here");
        Assert.Equal("4still here", await ws.ReceiveTextAsync());
        Assert.False(fixture.Session(polling.Sid).Session.IsClosed);
    }

    [Fact]
    public async Task A_second_websocket_for_an_upgraded_session_is_closed_without_harming_the_first()
    {
        using var polling = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await polling.HandshakeAsync();
        await using var ws = await EngineWebSocketClient.ConnectAsync(fixture.Host.BaseAddress, "/engine.io", polling.Sid);
        await ws.SendAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());
        await ws.SendAsync("5");

        await using var intruder = await EngineWebSocketClient.ConnectAsync(fixture.Host.BaseAddress, "/engine.io", polling.Sid);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await intruder.WaitClosedAsync());
        await ws.SendAsync("4first");
        Assert.Equal("4first", await ws.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_failed_probe_leaves_the_session_on_polling()
    {
        using var polling = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await polling.HandshakeAsync();
        await using (var ws = await EngineWebSocketClient.ConnectAsync(fixture.Host.BaseAddress, "/engine.io", polling.Sid))
        {
            await ws.SendAsync("4not a probe");
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, await ws.WaitClosedAsync());
        }

        await polling.PostAsync("4still polling");

        Assert.Equal(["4still polling"], await polling.PollAsync());
        Assert.Equal(EngineTransportKind.Polling, fixture.Session(polling.Sid).Session.Transport);
    }
}
