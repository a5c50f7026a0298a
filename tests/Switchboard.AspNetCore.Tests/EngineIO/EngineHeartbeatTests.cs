using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>
/// Heartbeats over real time: <c>/fast</c> pings every 200 ms and waits 200 ms for the pong (silence
/// closes quickly); <c>/steady</c> pings every 100 ms but waits 5 s, so a busy machine cannot make a
/// client that answers look silent.
/// </summary>
public sealed class EngineHeartbeatTests(EchoEngineFixture fixture) : IClassFixture<EchoEngineFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task A_websocket_client_that_answers_no_ping_is_closed_with_ping_timeout()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/fast");
        await using var _ = client;
        var probe = fixture.Session(open.GetProperty("sid").GetString()!);

        Assert.Equal("2", await client.ReceiveTextAsync());

        Assert.Equal(DisconnectCode.PingTimeout, await probe.Closed.Task.Within());
        // No second ping without a pong, and nothing else before the close.
        await client.WaitClosedAsync();
    }

    [Fact]
    public async Task A_websocket_client_that_answers_pings_keeps_being_pinged_and_stays_connected()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/steady");
        await using var _ = client;
        var probe = fixture.Session(open.GetProperty("sid").GetString()!);

        // The server pings again only after the previous pong: each ping proves the last pong counted.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("2", await client.ReceiveTextAsync());
            await client.SendAsync("3");
        }

        Assert.Equal("2", await client.ReceiveTextAsync());
        Assert.False(probe.Closed.Task.IsCompleted, "the session closed although every ping was answered");
        await client.SendAsync("4alive");
        Assert.Equal("4alive", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task A_polling_client_receives_pings_in_its_poll_and_is_closed_when_silent()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/fast");
        await client.HandshakeAsync();
        var probe = fixture.Session(client.Sid);

        Assert.Equal("2", (await client.PollAsync())[0]);

        Assert.Equal(DisconnectCode.PingTimeout, await probe.Closed.Task.Within());
        using var after = await client.GetAsync();
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, after.StatusCode);
        Assert.Equal("{\"code\":1,\"message\":\"Session ID unknown\"}", await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_polling_client_that_answers_pings_keeps_being_pinged_and_stays_connected()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/steady");
        await client.HandshakeAsync();
        var probe = fixture.Session(client.Sid);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(["2"], await client.PollAsync());
            await client.PostAsync("3");
        }

        Assert.Equal(["2"], await client.PollAsync());
        Assert.False(probe.Closed.Task.IsCompleted, "the session closed although every ping was answered");
        await client.PostAsync("3", "4alive");
        Assert.Equal(["4alive"], await client.PollAsync());
    }

    /// <summary>
    /// One periodic scan serves the heartbeats of every session. A handler that takes its time on one
    /// session (its POST is held while it runs) must not stop the others from being pinged.
    /// </summary>
    [Fact]
    public async Task A_handler_blocked_on_one_session_does_not_stall_the_heartbeat_of_the_others()
    {
        using var slow = new EnginePollingClient(fixture.Host.BaseAddress, "/steady");
        await slow.HandshakeAsync();
        var slowProbe = fixture.Session(slow.Sid);
        Assert.Equal(["2"], await slow.PollAsync());
        // The pong schedules the slow session's next ping; then its handler blocks.
        var held = slow.PostRawAsync("3\u001e4hold");
        await slowProbe.Holding.Task.Within();
        var (other, _) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/steady");
        await using var _ = other;

        try
        {
            // The server as such still answers the other session, and its pings keep coming while the
            // slow session's next ping falls due during its handler.
            await other.SendAsync("4echo");
            var echoed = false;
            var pings = 0;
            while (!echoed || pings < 3)
            {
                string frame;
                try
                {
                    frame = await other.ReceiveTextAsync();
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"The other session stalled: echo {(echoed ? "received" : "missing")}, {pings} ping(s) in {Timeouts.Default}.");
                    throw;
                }
                if (frame == "2")
                {
                    pings++;
                    await other.SendAsync("3");
                }
                else
                {
                    Assert.Equal("4echo", frame);
                    echoed = true;
                }
            }
        }
        finally
        {
            slowProbe.Release.Set();
            (await held).Dispose();
        }
    }

    [Fact]
    public async Task A_client_ping_is_a_protocol_violation()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var _ = client;

        await client.SendAsync("2");

        Assert.Equal(DisconnectCode.BadRequest, await fixture.Session(open.GetProperty("sid").GetString()!).Closed.Task.Within());
    }
}
