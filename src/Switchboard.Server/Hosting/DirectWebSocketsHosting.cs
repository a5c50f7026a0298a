using Switchboard.AspNetCore;

namespace Switchboard.Server.Hosting;

/// <summary>
/// <c>Switchboard:DirectWebSockets=true</c> turns on the direct WebSocket mode on every endpoint Kestrel
/// listens on (docs/deploy.md, docs/decisions/0015-own-the-connection.md): Socket.IO WebSocket-only
/// handshakes are answered on the connection, before Kestrel's HTTP layer. The origin policy
/// (<c>Switchboard:Cors:Origins</c>) still applies through the Engine.IO AllowRequest hook; forwarded headers
/// and the path base do not (the mode sees the connection's own address and the literal path).
/// </summary>
internal static class DirectWebSocketsHosting
{
    public static void AddDirectWebSockets(this WebApplicationBuilder builder, IConfigurationSection settings)
    {
        if (!settings.GetValue<bool>("DirectWebSockets"))
        {
            return;
        }
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSwitchboardWebSockets()));
    }
}
