using StackExchange.Redis;

namespace Switchboard.Redis;

public sealed partial class RedisClusterBus
{
    // The node table maps node id → lease end in ms of Redis TIME (ClusterScripts): live is a lease that has not run out.
    private const string LiveNodesScript = """
        local now = redis.call('TIME')
        local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. nowMs, '+inf')
        """;

    /// <summary>The ids of the nodes whose lease in the node table has not run out, by Redis's clock.</summary>
    public async ValueTask<IReadOnlyList<string>> GetLiveNodesAsync(CancellationToken cancellationToken = default)
    {
        var result = await Unavailable(_database.ScriptEvaluateAsync(LiveNodesScript, [_nodes]), "list the nodes").WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. ((RedisResult[])result!).Select(r => (string)r!)];
    }
}
