using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.AspNetCore.Transports.Direct;

/// <summary>
/// The handshakes the direct mode leaves to Kestrel's path although it could take them, because the app's
/// pipeline has something to say about them (docs/deploy.md, "Direct WebSocket mode"):
/// <list type="bullet">
/// <item>a <c>Host</c> outside the app's host filtering (<see cref="HostFilteringOptions.AllowedHosts"/>, the
/// <c>AllowedHosts</c> setting): Kestrel's path answers it 400, as for any other request;</item>
/// <item>a handshake that came through a proxy (<c>X-Forwarded-For</c>, <c>-Proto</c>, <c>-Host</c> or
/// <c>Forwarded</c>): the forwarded-headers middleware decides whether to trust it, and the per-address limits
/// then count the client, not the proxy.</item>
/// </list>
/// </summary>
internal sealed class DirectHandshakePolicy
{
    private static readonly string[] ForwardedHeaders = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"];

    private readonly StringSegment[] _allowedHosts;

    public DirectHandshakePolicy(IServiceProvider services)
    {
        var hosts = services.GetService<IOptions<HostFilteringOptions>>()?.Value.AllowedHosts ?? [];
        _allowedHosts = hosts.Any(h => h == "*") ? [] : [.. hosts.Select(h => new StringSegment(h))];
    }

    /// <summary>Whether the mode may answer <paramref name="request"/> itself.</summary>
    public bool MayTake(WebSocketHandshakeRequest request)
    {
        foreach (var name in ForwardedHeaders)
        {
            if (request.Header(name) is not null)
            {
                return false;
            }
        }
        return _allowedHosts.Length == 0 || (request.Header("Host") is { } host && HostString.MatchesAny(new StringSegment(host.Trim()), _allowedHosts));
    }
}

/// <summary>What the endpoints ask of a handshake before taking it.</summary>
internal static class DirectHandshakes
{
    /// <summary>Whether the client offers permessage-deflate (which the direct mode does not speak).</summary>
    public static bool OffersDeflate(WebSocketHandshakeRequest request) =>
        request.Header("Sec-WebSocket-Extensions")?.Contains("permessage-deflate", StringComparison.OrdinalIgnoreCase) == true;
}
