using Microsoft.Extensions.Time.Testing;
using Switchboard.Channels;
using Switchboard.Core.Tests.SocketIO;
using Switchboard.Protocols;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.Connections;

/// <summary>
/// One scan per server times the writes of every protocol's connections (Connections.SendScan): an
/// Engine.IO session and a channel connection whose writes are stuck are both dropped as slow consumers
/// by it, and a namespace's channel connections start no timer of their own.
/// </summary>
public sealed class SendScanTests
{
    private sealed class CountingTime : FakeTimeProvider
    {
        public int Timers;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref Timers);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    private sealed class Connection(ChannelHub hub) : ChannelConnection(hub, "test", ChannelGrant.All)
    {
        public TaskCompletionSource TimedOut { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void StartStuckWrite() => BeginSend();

        protected override void OnSendTimeout()
        {
            TimedOut.TrySetResult();
            base.OnSendTimeout();
        }
    }

    [Fact]
    public async Task One_scan_drops_stuck_writes_of_engine_sessions_and_channel_connections_alike()
    {
        var time = new CountingTime();
        var options = new SocketServerOptions();
        options.Engine.SendTimeout = TimeSpan.FromSeconds(8);
        options.Channels.SendTimeout = TimeSpan.FromSeconds(8);
        using var server = new SocketServer(options, time: time);
        using var client = DirectClient.Open(server);
        var timersBefore = time.Timers;

        await using var connection = new Connection(server.Of("/scan").Channels);
        await using var other = new Connection(server.Of("/scan-too").Channels);
        Assert.Equal(timersBefore, time.Timers);

        client.Session.BeginSend();
        connection.StartStuckWrite();
        time.Advance(TimeSpan.FromSeconds(7));
        Assert.False(client.Session.IsClosed);
        Assert.False(connection.IsClosed);

        // Past the send timeout, within one period of the scan (a quarter of it).
        time.Advance(TimeSpan.FromSeconds(3));
        await connection.TimedOut.Task.WaitAsync(DirectClient.Timeout);
        Assert.Equal(DisconnectCode.SlowConsumer, client.Session.CloseCode);
        Assert.True(connection.IsClosed);
        Assert.False(other.IsClosed);
    }

    [Fact]
    public async Task A_channel_connection_with_a_shorter_send_timeout_makes_the_one_scan_run_sooner()
    {
        var time = new CountingTime();
        var options = new SocketServerOptions();
        options.Engine.SendTimeout = TimeSpan.FromSeconds(40);
        using var server = new SocketServer(options, time: time);
        await using var connection = new Connection(server.Of("/short").Channels) { SendTimeout = TimeSpan.FromSeconds(2) };

        connection.StartStuckWrite();
        // 2 s + a quarter of 2 s: long before the Engine.IO period (10 s) would have come round.
        time.Advance(TimeSpan.FromSeconds(2.5));

        await connection.TimedOut.Task.WaitAsync(DirectClient.Timeout);
        Assert.True(connection.IsClosed);
    }
}
