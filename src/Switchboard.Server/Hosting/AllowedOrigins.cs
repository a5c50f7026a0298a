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
    /// Whether a browser page from <paramref name="origin"/> may open a WebSocket to a request for
    /// <paramref name="host"/>. Same-origin compares the authority only, not the scheme, so the check
    /// still holds behind a proxy that terminates TLS.
    /// </summary>
    public bool Allows(string origin, HostString host)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }
        return string.Equals(uri.Authority, host.Value, StringComparison.OrdinalIgnoreCase)
            || _origins.Contains(uri.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>
    /// <see cref="EngineOptions.AllowRequest"/> for the Socket.IO endpoint: refuses a
    /// WebSocket handshake or upgrade whose Origin is not allowed. Polling requests pass: CORS decides
    /// whether a browser may read their answers. Requests without an Origin come from non-browser clients.
    /// </summary>
    public ValueTask<bool> AllowsEngineRequest(EngineRequest request)
    {
        var allowed = !request.Query.TryGetValue("transport", out var transport) || transport != "websocket"
            || !request.Headers.TryGetValue("origin", out var origin)
            || Allows(origin, new HostString(request.Headers.GetValueOrDefault("host", "")));
        return ValueTask.FromResult(allowed);
    }

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
