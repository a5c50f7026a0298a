using Switchboard.Channels;

namespace Switchboard.Redis;

/// <summary>Settings of a <see cref="RedisChannelStore"/>.</summary>
public sealed record RedisChannelStoreOptions
{
    /// <summary>
    /// Put before every key, so several deployments can share one Redis. Default <c>sb:</c>. It must not
    /// contain <c>{</c> or <c>}</c>: the braces after it are the hash tag that keeps a channel's keys in
    /// one cluster slot.
    /// </summary>
    public string KeyPrefix { get; init; } = "sb:";

    /// <summary>The Redis database number; -1 (the default) is the connection's default database.</summary>
    public int Database { get; init; } = -1;

    /// <summary>
    /// The clock that decides which publications are older than a channel's history TTL. The store
    /// passes "now" into its scripts instead of asking Redis, so all nodes and tests agree on one clock.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// How long the keys of a channel outlive both its last use and its history: once every publication
    /// is older than the TTL and nobody read or wrote the channel for this long, Redis expires its keys
    /// and the channel comes back with a new epoch. The default matches the in-memory store's sweep
    /// (<see cref="InMemoryChannelStore.SweepPeriod"/>); null keeps channels forever.
    /// </summary>
    public TimeSpan? IdleChannelExpiry { get; init; } = InMemoryChannelStore.SweepPeriod;
}
