using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Switchboard.Server.Hosting;

/// <summary>
/// Behind a reverse proxy the client's address, scheme and host arrive in <c>X-Forwarded-For</c>,
/// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c>; the server must see the real ones (connection
/// limits per address, <c>handshake.address</c> and <c>secure</c>, the Origin check) and must believe the
/// headers only from its own proxies. Trusted: loopback (a proxy on the same machine), unless
/// <c>Switchboard:ForwardedHeaders:TrustLoopback</c> is false, plus <c>KnownProxies</c> (addresses) and
/// <c>KnownNetworks</c> (CIDR, e.g. <c>10.0.0.0/8</c>). An <c>X-Forwarded-Host</c> must be one of
/// <c>AllowedHosts</c>, as a <c>Host</c> must. docs/proxies.md.
/// </summary>
internal static class ForwardedHeadersHosting
{
    public static void AddTrustedProxies(this WebApplicationBuilder builder, IConfigurationSection section)
    {
        var proxies = ConfiguredList.Read(section.GetSection("KnownProxies"));
        var networks = ConfiguredList.Read(section.GetSection("KnownNetworks"));
        var trustLoopback = section.GetValue("TrustLoopback", true);
        var allowedHosts = (builder.Configuration["AllowedHosts"] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
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
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            // With both lists empty ASP.NET Core would believe any sender: trusting nobody means reading nothing.
            options.ForwardedHeaders = trustLoopback || proxies.Length > 0 || networks.Length > 0
                ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost
                : ForwardedHeaders.None;
            if (trustLoopback)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("127.0.0.0/8"));
                options.KnownProxies.Add(IPAddress.IPv6Loopback);
            }
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
            // A forwarded host passes the same filter as a Host header (a DNS-rebinding page would
            // otherwise pass the Origin check through the proxy); "*" or nothing allows any.
            if (!allowedHosts.Contains("*"))
            {
                foreach (var host in allowedHosts)
                {
                    options.AllowedHosts.Add(host);
                }
            }
        });
    }

    /// <summary>
    /// First in the pipeline: takes the client's address, scheme and host from a trusted proxy's headers,
    /// then strips <paramref name="pathBase"/> (<c>Switchboard:PathBase</c>, e.g. <c>/rt</c>) from the
    /// requests that start with it, and routes after that, so every endpoint and page also answers under it.
    /// </summary>
    public static void UseForwardedHeadersAndPathBase(this WebApplication app, string? pathBase)
    {
        app.UseForwardedHeaders();
        if (!string.IsNullOrEmpty(pathBase) && pathBase != "/")
        {
            if (!pathBase.StartsWith('/'))
            {
                throw new InvalidOperationException($"Switchboard:PathBase: '{pathBase}' must start with '/', e.g. /rt.");
            }
            app.UsePathBase(pathBase.TrimEnd('/'));
        }
        // Explicitly, so endpoints are matched on the path without its base (and after the forwarded
        // headers): WebApplication would otherwise route before any of this.
        app.UseRouting();
    }
}
