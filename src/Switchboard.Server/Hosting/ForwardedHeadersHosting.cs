using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Behind a reverse proxy the client's address is in <c>X-Forwarded-For</c>; the connection limits count
/// per address (docs/protection.md), so the server must see the real one, and must believe the header only
/// from its own proxies. <c>Switchboard:ForwardedHeaders:KnownProxies</c> (addresses) and
/// <c>KnownNetworks</c> (CIDR, e.g. <c>10.0.0.0/8</c>) name them; with neither set the header is ignored.
/// </summary>
internal static class ForwardedHeadersHosting
{
    public static bool AddTrustedProxies(this WebApplicationBuilder builder, IConfigurationSection section)
    {
        var proxies = ConfiguredList.Read(section.GetSection("KnownProxies"));
        var networks = ConfiguredList.Read(section.GetSection("KnownNetworks"));
        if (proxies.Length == 0 && networks.Length == 0)
        {
            return false;
        }
        // Checked here, so a typo stops the start with the setting's name (docs/operations.md).
        var bad = proxies.Where(p => !IPAddress.TryParse(p, out _)).Select(p => $"{section.Path}:KnownProxies: '{p}' is not an IP address.")
            .Concat(networks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)).Select(n => $"{section.Path}:KnownNetworks: '{n}' is not a network (CIDR, e.g. 10.0.0.0/8)."))
            .ToArray();
        if (bad.Length > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(section.Path, typeof(ForwardedHeadersOptions), bad);
        }
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return true;
    }
}
