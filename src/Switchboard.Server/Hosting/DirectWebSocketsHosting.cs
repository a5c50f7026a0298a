using Switchboard.AspNetCore;

namespace Switchboard.Server.Hosting;

/// <summary>
/// The direct WebSocket mode on every endpoint Kestrel listens on, unless <c>Switchboard:DirectWebSockets=false</c>
/// (docs/deploy.md, docs/decisions/0015-own-the-connection.md): Socket.IO's WebSocket-only handshakes and the plain
/// protocol's are answered on the connection, before Kestrel's HTTP layer. What the app's pipeline decides is kept:
/// the origin policy (<c>Switchboard:Cors:Origins</c>: the request's own host or a listed origin) is the mode's origin
/// check, and Engine.IO's AllowRequest applies as well; a handshake through a proxy (forwarded headers), for a host
/// outside <c>AllowedHosts</c>, under <c>Switchboard:PathBase</c>, or asking for permessage-deflate where it is on,
/// goes to Kestrel's path.
/// </summary>
internal static class DirectWebSocketsHosting
{
    public static void AddDirectWebSockets(this WebApplicationBuilder builder, IConfigurationSection settings)
    {
        if (!(settings.GetValue<bool?>("DirectWebSockets") ?? true))
        {
            return;
        }
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            OriginGuard? guard = null;
            listen.UseSwitchboardWebSockets(o =>
            {
                // Switchboard:Direct:HandshakeTimeout and :MaxHandshakeBytes (docs/deploy.md).
                settings.GetSection("Direct").Bind(o);
                o.AllowOrigin = (origin, host) =>
                    (guard ??= listen.ApplicationServices.GetRequiredService<OriginGuard>()).AllowsWebSocket(origin, new HostString(host ?? ""), "a direct WebSocket");
            });
        }));
    }
}
