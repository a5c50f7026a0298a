using Switchboard.Channels;

namespace Switchboard.Redis.Tests;

/// <summary>The store contract, against the Redis store on a real redis-server; each store gets its own key prefix.</summary>
public sealed class RedisChannelStoreContractTests(RedisServer redis) : ChannelStoreContract, IClassFixture<RedisServer>
{
    private static int s_stores;

    protected override IChannelStore CreateStore(TimeProvider time) => new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions
    {
        KeyPrefix = $"contract{Interlocked.Increment(ref s_stores)}:",
        TimeProvider = time,
    });
}
