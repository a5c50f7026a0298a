using Microsoft.Extensions.Options;
using Switchboard.Engine;

namespace Switchboard.Server.Hosting;

/// <summary>
/// The origins other than the server's own whose pages may use the Socket.IO endpoint, from
/// <c>Switchboard:Cors:Origins</c> (a list, or one comma-separated string). Empty means same-origin
/// only: no CORS headers, and cross-origin WebSocket handshakes are refused.
/// </summary>
internal sealed class AllowedOrigins
{
    public const string CorsPolicyName = "Switchboard";

    private readonly HashSet<string> _origins;

    private AllowedOrigins(HashSet<string> origins) => _origins = origins;

    public bool IsEmpty => _origins.Count == 0;

    public IReadOnlyCollection<string> Origins => _origins;

    public static AllowedOrigins Read(IConfigurationSection section)
    {
        var configured = section.GetSection("Origins");
        // A list binds from its children; one string (e.g. --Switchboard:Cors:Origins=a,b) from the
        // section's value, which the JSON provider also sets, to "", for an empty array.
        var values = (configured.Get<string[]>() ?? [])
            .Concat((configured.Value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var origins = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            origins.Add(Normalize(value, configured.Path));
        }
        return new AllowedOrigins(origins);
    }

    /// <summary>
    /// Whether a browser page from <paramref name="origin"/> may use a request for <paramref name="host"/>:
    /// the origin is listed, or it is the request's own host (<see cref="IsSameHost"/>).
    /// </summary>
    public bool Allows(string origin, HostString host) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && (_origins.Contains(uri.GetLeftPart(UriPartial.Authority)) || IsSameHost(uri, host));

    /// <summary>
    /// Same-origin as far as the server can tell behind a proxy (docs/proxies.md, "The Origin rule").
    /// <paramref name="host"/> is the request's <c>Host</c>, or the <c>X-Forwarded-Host</c> of a trusted
    /// proxy, which the forwarded-headers middleware has put in its place. The scheme is not compared: a
    /// proxy terminates TLS. A <c>Host</c> with a port must name the origin's port (its scheme's default
    /// when the origin names none, so <c>https://a.example</c> matches <c>a.example:443</c>); a <c>Host</c>
    /// without a port matches any port, because proxies configured with nginx's <c>$host</c> drop it.
    /// </summary>
    public static bool IsSameHost(Uri origin, HostString host) =>
        host.HasValue
        && string.Equals(origin.Host, host.Host, StringComparison.OrdinalIgnoreCase)
        && (host.Port is not { } port || port == origin.Port);

    private static string Normalize(string value, string path)
    {
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.PathAndQuery != "/")
        {
            throw new OptionsValidationException(path, typeof(AllowedOrigins),
                [$"{path}: '{value}' is not an origin; write it as scheme://host[:port], e.g. https://chat.example.com."]);
        }
        return uri.GetLeftPart(UriPartial.Authority);
    }
}
