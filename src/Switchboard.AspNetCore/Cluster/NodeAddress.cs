using Microsoft.AspNetCore.Http;

namespace Switchboard.AspNetCore.Cluster;

/// <summary>The default <see cref="SocketIO.SocketServerOptions.NodeAddress"/>: an address Kestrel listens on that other nodes can use.</summary>
internal static class NodeAddress
{
    /// <summary>
    /// The first of the server's addresses, where a wildcard host (0.0.0.0, [::], * or +: every
    /// interface) becomes 127.0.0.1 with the same scheme and port: a request can be sent there, and it
    /// reaches this server from its own machine. Null when the server reports no address.
    /// </summary>
    public static string? FromListening(IEnumerable<string>? addresses)
    {
        var first = addresses?.FirstOrDefault();
        if (first is null)
        {
            return null;
        }
        var address = BindingAddress.Parse(first);
        return address.Host is "0.0.0.0" or "[::]" or "::" or "*" or "+"
            ? $"{address.Scheme}://127.0.0.1:{address.Port}{address.PathBase}"
            : first;
    }
}
