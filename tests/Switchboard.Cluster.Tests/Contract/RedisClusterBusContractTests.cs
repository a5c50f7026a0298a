using StackExchange.Redis;
using Switchboard.Redis;

namespace Switchboard.Cluster.Tests.Contract;

/// <summary>The contract on <see cref="RedisClusterBus"/>: each node with its own connection to a real redis-server.</summary>
public class RedisClusterBusContractTests(RedisServer redis) : ClusterBusContract, IClassFixture<RedisServer>
{
    private readonly string _prefix = $"k{Guid.NewGuid():N}"[..9] + ":";
    private readonly Dictionary<IClusterBus, (RedisClusterBus Bus, ConnectionMultiplexer Connection)> _nodes = [];

    /// <summary>Short leases, so that a killed node is dropped within the test's wait.</summary>
    protected RedisClusterOptions Options => new()
    {
        Store = new RedisChannelStoreOptions { KeyPrefix = _prefix },
        NodeLease = TimeSpan.FromSeconds(2),
        HeartbeatInterval = TimeSpan.FromMilliseconds(300),
    };

    protected override async Task<IClusterBus> CreateBusAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(RedisChannelStore.ParseConfiguration(redis.Endpoint));
        var bus = new RedisClusterBus(connection, Options);
        var outer = Wrap(bus, connection);
        _nodes[outer] = (bus, connection);
        return outer;
    }

    /// <summary>What the node's server is given: the bus itself here.</summary>
    protected virtual IClusterBus Wrap(RedisClusterBus bus, ConnectionMultiplexer connection) => bus;

    protected override Task ReadyAsync(IClusterBus bus) => _nodes[bus].Bus.Ready;

    protected override async Task LeaveAsync(IClusterBus bus)
    {
        if (bus is IAsyncDisposable outer && !ReferenceEquals(outer, _nodes[bus].Bus))
        {
            await outer.DisposeAsync();
        }
        await _nodes[bus].Bus.DisposeAsync();
        await _nodes[bus].Connection.DisposeAsync();
    }

    /// <summary>The connection drops without a word: no lease removed, no interest dropped.</summary>
    protected override Task KillAsync(IClusterBus bus) => _nodes[bus].Connection.CloseAsync(allowCommandsToComplete: false);
}
