using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Diagnostics;
using Switchboard.Engine;
using Switchboard.SocketIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.Diagnostics;

/// <summary>
/// Switchboard's meter (docs/metrics.md) as a listener sees it, through the host's IMeterFactory, on a
/// real Kestrel: what the Prometheus suite (tests/interop/metrics.test.mjs) cannot see from outside,
/// such as the exact sequence of a connection's count across an upgrade.
/// </summary>
public sealed class SwitchboardMetricsTests : IAsyncLifetime
{
    private TestHost _host = null!;
    private SocketServer _io = null!;
    private readonly TaskCompletionSource<EngineSession> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(),
            app => app.MapSocketIO("/socket.io", io =>
            {
                _io = io;
                io.Engine.SessionRemoved += session => _closed.TrySetResult(session);
                io.OnConnection(socket => socket.Join("room"));
            }));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private IMeterFactory Meters => _host.Services.GetRequiredService<IMeterFactory>();

    [Fact]
    public void The_meter_comes_from_the_hosts_factory()
    {
        var metrics = _host.Services.GetRequiredService<SwitchboardMetrics>();
        Assert.Same(metrics, _io.Metrics);
        Assert.Equal(SwitchboardMetrics.MeterName, metrics.Meter.Name);
        Assert.Same(Meters, metrics.Meter.Scope);
    }

    [Fact]
    public async Task An_upgrade_moves_the_connection_from_polling_to_websocket_and_its_close_is_counted_there()
    {
        using var connections = new MetricCollector<long>(Meters, SwitchboardMetrics.MeterName, "switchboard.connections");
        using var durations = new MetricCollector<double>(Meters, SwitchboardMetrics.MeterName, "switchboard.connection.duration");
        using var disconnects = new MetricCollector<long>(Meters, SwitchboardMetrics.MeterName, "switchboard.disconnects");

        using var polling = new EnginePollingClient(_host.BaseAddress, "/socket.io");
        await polling.HandshakeAsync();
        await using (var ws = await EngineWebSocketClient.ConnectAsync(_host.BaseAddress, "/socket.io", polling.Sid))
        {
            await ws.SendAsync("2probe");
            Assert.Equal("3probe", await ws.ReceiveTextAsync());
            await ws.SendAsync("5");
            await ws.SendAsync("1");
            Assert.Equal(DisconnectCode.ClientClosed, (await _closed.Task.Within()).CloseCode);
        }

        // +1 polling at the handshake, -1 polling +1 websocket at the upgrade, -1 websocket at the close.
        var steps = connections.GetMeasurementSnapshot().Select(m => (m.Value, Transport: (string?)m.Tags["switchboard.transport"])).ToList();
        Assert.Equal([(1L, "polling"), (-1L, "polling"), (1L, "websocket"), (-1L, "websocket")], steps);
        Assert.All(connections.GetMeasurementSnapshot(), m => Assert.Equal("socket.io", m.Tags["network.protocol.name"]));

        var duration = Assert.Single(durations.GetMeasurementSnapshot());
        Assert.Equal("websocket", duration.Tags["switchboard.transport"]);
        Assert.Equal("client_closed", duration.Tags["switchboard.disconnect.code"]);
        Assert.InRange(duration.Value, 0, 60);
        var disconnect = Assert.Single(disconnects.GetMeasurementSnapshot());
        Assert.Equal(1, disconnect.Value);
        Assert.Equal("client_closed", disconnect.Tags["switchboard.disconnect.code"]);
    }

    [Fact]
    public async Task A_room_emit_is_one_publication_with_its_fan_out_and_one_write_per_recipient_drain()
    {
        await using var first = await SocketIOTestClient.OpenAsync(_host);
        await first.JoinAsync();
        await using var second = await SocketIOTestClient.OpenAsync(_host);
        await second.JoinAsync();
        using var fanOut = new MetricCollector<long>(Meters, SwitchboardMetrics.MeterName, "switchboard.broadcast.deliveries");
        using var publishes = new MetricCollector<double>(Meters, SwitchboardMetrics.MeterName, "switchboard.publish.duration");
        using var sent = new MetricCollector<long>(Meters, SwitchboardMetrics.MeterName, "switchboard.messages.sent");

        await _io.To("room").EmitAsync("news", 1).Within();
        Assert.Equal("42[\"news\",1]", await first.ReceiveTextAsync());
        Assert.Equal("42[\"news\",1]", await second.ReceiveTextAsync());

        var delivery = Assert.Single(fanOut.GetMeasurementSnapshot());
        Assert.Equal(2, delivery.Value);
        Assert.Equal("/", delivery.Tags["switchboard.namespace"]);
        Assert.Single(publishes.GetMeasurementSnapshot());
        // Counted since the collector subscribed: the two events, nothing over polling. Each client's
        // writer counts once it has written, and a client may read before that: collected until both are in.
        var deadline = DateTime.UtcNow + Timeouts.Default;
        long overWebSocket;
        while (true)
        {
            sent.Clear();
            sent.RecordObservableInstruments();
            overWebSocket = SumOver(sent, "websocket");
            if (overWebSocket >= 2 || DateTime.UtcNow > deadline)
            {
                break;
            }
            await Task.Delay(5);
        }
        Assert.Equal(2, overWebSocket);
        Assert.Equal(0, SumOver(sent, "polling"));
    }

    private static long SumOver(MetricCollector<long> collector, string transport) =>
        collector.GetMeasurementSnapshot().Where(m => (string?)m.Tags["switchboard.transport"] == transport).Sum(m => m.Value);
}
