using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Switchboard.Diagnostics;

namespace Switchboard.Redis.Tests.Cluster;

/// <summary>The cluster's instruments (docs/metrics.md) on a real Redis: live nodes and the heartbeat's round trip.</summary>
public sealed class RedisClusterMetricsTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TestNodes _nodes = new(redis);
    private readonly string _prefix = $"m{Guid.NewGuid():N}:"[..10];
    private readonly SwitchboardMetrics _metrics = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _nodes.DisposeAsync();
        _metrics.Dispose();
    }

    [Fact]
    public async Task A_node_counts_the_live_nodes_and_times_its_heartbeat()
    {
        using var nodes = new MetricCollector<long>(_metrics.Meter, "switchboard.cluster.nodes");
        var options = new RedisClusterOptions
        {
            Store = new RedisChannelStoreOptions { KeyPrefix = _prefix },
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        };
        await _nodes.StartAsync(options, Timeout, metrics: _metrics);
        await _nodes.StartAsync(options, Timeout);

        // Each heartbeat of the observed node is timed, then the live nodes are counted: once the second
        // heartbeat since both nodes joined is timed, the first one's count is in.
        using var roundTrips = new MetricCollector<double>(_metrics.Meter, "switchboard.redis.round_trip");
        await roundTrips.WaitForMeasurementsAsync(2).WaitAsync(Timeout);
        var trip = roundTrips.GetMeasurementSnapshot()[0];
        Assert.Equal("heartbeat", trip.Tags["switchboard.redis.operation"]);
        Assert.InRange(trip.Value, 0, Timeout.TotalSeconds);
        nodes.RecordObservableInstruments();
        Assert.Equal(2, nodes.LastMeasurement?.Value);
    }

    [Fact]
    public async Task Without_a_cluster_there_is_no_node_count()
    {
        using var nodes = new MetricCollector<long>(_metrics.Meter, "switchboard.cluster.nodes");
        using var server = new SocketIO.SocketServer(new SocketIO.SocketServerOptions(), metrics: _metrics);
        nodes.RecordObservableInstruments();
        Assert.Empty(nodes.GetMeasurementSnapshot());
    }
}
