using Switchboard.Cluster;

namespace Switchboard.AspNetCore.Shared;

/// <summary>
/// Tells a failure of the backend that stores and spreads publications (the cluster bus, a channel
/// store that timed out) from a bug: the first is answered "unavailable, retry" (HTTP 503), the second
/// stays an internal error.
/// </summary>
internal static class BackendFailure
{
    public const string Code = "unavailable";

    public static bool IsUnavailable(Exception ex) => ex is ClusterUnavailableException or TimeoutException;
}
