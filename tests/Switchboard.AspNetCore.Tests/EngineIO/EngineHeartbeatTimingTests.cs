using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>Heartbeat timing under a clock the test moves: pings every 10 s, 5 s to answer.</summary>
public sealed class EngineHeartbeatTimingTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new();
    private readonly TaskCompletionSource<DisconnectCode> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RequestWatcher _requests = new();
    private EngineSession? _session;
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync(
            builder => builder.Services.AddSingleton<TimeProvider>(_time),
            app =>
            {
                app.UseWebSockets();
                _requests.Install(app);
                app.MapEngineIO("/engine.io", session =>
                {
                    _session = session;
                    session.Handler = new Handler(_closed);
                }, o =>
                {
                    o.PingInterval = TimeSpan.FromSeconds(10);
                    o.PingTimeout = TimeSpan.FromSeconds(5);
                });
            });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_ping_sent_on_time_is_answered_within_the_timeout_and_the_session_lives_on()
    {
        var (client, _) = await EngineWebSocketClient.HandshakeAsync(_host.BaseAddress, "/engine.io");
        await using var __ = client;

        _time.Jump(TimeSpan.FromSeconds(10.1));
        Assert.Equal("2", await client.ReceiveTextAsync());
        await client.SendAsync("3");
        await client.SendAsync("4sync");
        Assert.Equal("4sync", await client.ReceiveTextAsync());
        _time.Jump(TimeSpan.FromSeconds(4.8));

        await client.SendAsync("4still open");
        Assert.Equal("4still open", await client.ReceiveTextAsync());
        Assert.False(_closed.Task.IsCompleted);
    }

    [Fact]
    public async Task A_silent_client_is_closed_once_the_ping_timeout_has_passed()
    {
        var (client, _) = await EngineWebSocketClient.HandshakeAsync(_host.BaseAddress, "/engine.io");
        await using var __ = client;
        _time.Jump(TimeSpan.FromSeconds(10.1));
        Assert.Equal("2", await client.ReceiveTextAsync());

        _time.Jump(TimeSpan.FromSeconds(5.1));

        Assert.Equal(DisconnectCode.PingTimeout, await _closed.Task.Within());
        await client.WaitClosedAsync();
    }

    /// <summary>
    /// The protocol gives the client pingTimeout after the ping to answer. When the server's scan runs
    /// late (a stalled thread pool, a GC pause), the ping goes out late, and the client must still get
    /// its full timeout rather than be closed in the same instant for the server's own delay.
    /// </summary>
    [Fact]
    public async Task A_ping_sent_late_still_gives_the_client_the_whole_ping_timeout()
    {
        var (client, _) = await EngineWebSocketClient.HandshakeAsync(_host.BaseAddress, "/engine.io");
        await using var __ = client;

        // The first ping was due at 10 s; the scan only runs at 16 s.
        _time.Jump(TimeSpan.FromSeconds(16));
        Assert.Equal("2", await client.ReceiveTextAsync());

        try
        {
            await client.SendAsync("3");
            await client.SendAsync("4answered");
            Assert.Equal("4answered", await client.ReceiveTextAsync());
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"The session was closed ({(_closed.Task.IsCompleted ? await _closed.Task : "?")}) right after the late ping, before the client could answer: {ex.Message}");
        }
        Assert.False(_closed.Task.IsCompleted, "the session was closed although the pong came at once");
    }

    [Fact]
    public async Task A_held_poll_is_answered_with_a_close_packet_when_the_ping_times_out()
    {
        using var client = new EnginePollingClient(_host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var firstPoll = _requests.WhenPollArrives(client.Sid);
        var pinged = client.PollAsync();
        await firstPoll;
        _time.Jump(TimeSpan.FromSeconds(10.1));
        Assert.Equal(["2"], await pinged);
        var secondPoll = _requests.WhenPollArrives(client.Sid);
        var held = client.PollAsync();
        await secondPoll;
        // Arrived is not yet held: the clock moves only once the session holds the poll.
        Volatile.Read(ref _session)!.WaitUntilPollHeld();

        _time.Jump(TimeSpan.FromSeconds(5.1));

        Assert.Equal(["1"], await held);
        Assert.Equal(DisconnectCode.PingTimeout, await _closed.Task.Within());
    }

    private sealed class Handler(TaskCompletionSource<DisconnectCode> closed) : IEngineSessionHandler
    {
        public void OnMessage(EngineSession session, EnginePacket packet) => session.SendText(packet.Data.Span);

        public void OnClose(EngineSession session, DisconnectCode reason) => closed.TrySetResult(reason);
    }
}
