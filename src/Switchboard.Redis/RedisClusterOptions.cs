namespace Switchboard.Redis;

/// <summary>Settings of <see cref="RedisClusterBus"/> (docs/cluster.md).</summary>
public sealed record RedisClusterOptions
{
    /// <summary>The channel history settings: key prefix, database, idle expiry. Shared with the channel store.</summary>
    public RedisChannelStoreOptions Store { get; init; } = new();

    /// <summary>This node's id; a fresh random one by default. Must be unique in the cluster.</summary>
    public string? NodeId { get; init; }

    /// <summary>How long a node counts as alive after its last heartbeat. Default 10 s.</summary>
    public TimeSpan NodeLease { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a node renews its lease (and registers its rooms again when the lease had run out). Default 2 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a connected socket's recovery session outlives its node without a renewal: the node renews
    /// the sessions of its connected sockets at half this period. Default 1 minute.
    /// </summary>
    public TimeSpan SessionLease { get; init; } = TimeSpan.FromMinutes(1);
}
