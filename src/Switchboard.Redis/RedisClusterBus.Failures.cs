using StackExchange.Redis;
using Switchboard.Cluster;

namespace Switchboard.Redis;

public sealed partial class RedisClusterBus
{
    /// <summary>
    /// Redis cannot be reached, or says it cannot serve now (loading its data, busy with a script, a
    /// read-only replica after a failover); a script error is not one of these: it is a bug.
    /// </summary>
    private static bool IsUnavailable(Exception ex) => ex switch
    {
        RedisConnectionException or TimeoutException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
            || server.Message.StartsWith("READONLY", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>A Redis call whose failure to reach Redis surfaces as <see cref="ClusterUnavailableException"/> (503, an error ack).</summary>
    private static async Task<T> Unavailable<T>(Task<T> pending, string what)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw new ClusterUnavailableException($"Redis is out of reach: could not {what}: {ex.Message}", ex);
        }
    }

    private static async Task Observe(Task pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Re-registered in full when the connection is restored.
        }
    }
}
