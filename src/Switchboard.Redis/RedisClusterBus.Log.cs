using Microsoft.Extensions.Logging;

namespace Switchboard.Redis;

public sealed partial class RedisClusterBus
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Cluster node {Node} joined: inbox subscribed, lease taken")]
        public static partial void Started(ILogger logger, string node);

        [LoggerMessage(2, LogLevel.Warning, "Cluster node {Node} cannot reach Redis yet (attempt {Attempt}, next in {Seconds:0.#} s): {Reason}")]
        public static partial void StartFailed(ILogger logger, string node, int attempt, string reason, double seconds);

        [LoggerMessage(3, LogLevel.Warning, "Cluster node {Node} dropped an inbox message it could not read or deliver")]
        public static partial void BadMessage(ILogger logger, string node, Exception exception);

        [LoggerMessage(4, LogLevel.Warning, "Cluster node {Node} could not renew its lease: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, string node, string reason);

        [LoggerMessage(5, LogLevel.Information, "Cluster node {Node} registered again after Redis came back ({Count} rooms)")]
        public static partial void Reregistered(ILogger logger, string node, int count);

        [LoggerMessage(20, LogLevel.Warning, "Cluster node {Node} refused a publication (fenced; the sentinels' primary is {Primary}): {Why}")]
        public static partial void Fenced(ILogger logger, string node, string primary, string why);

        [LoggerMessage(21, LogLevel.Warning, "Cluster node {Node} started cluster generation {Generation} on {Reached}, which had none: Redis lost its data, every history starts a new epoch")]
        public static partial void GenerationStarted(ILogger logger, string node, string generation, string reached);

        [LoggerMessage(22, LogLevel.Information, "Cluster node {Node} adopted cluster generation {Generation}")]
        public static partial void GenerationAdopted(ILogger logger, string node, string generation);
    }
}
