namespace Switchboard.Engine;

/// <summary>
/// The cookie an Engine.IO handshake response sets (<see cref="EngineOptions.Cookie"/>), its value the
/// session id: the same defaults as Node's engine.io <c>cookie</c> option (<c>io</c>, path <c>/</c>,
/// HttpOnly, SameSite=Lax), so a load balancer that pins clients by cookie keeps a session on its node.
/// </summary>
public sealed class EngineCookieOptions
{
    /// <summary>The cookie's name. Default <c>io</c>.</summary>
    public string Name { get; set; } = "io";

    /// <summary>The cookie's path. Default <c>/</c>; null leaves the attribute out.</summary>
    public string? Path { get; set; } = "/";

    /// <summary>The cookie's domain; null (the default) leaves the attribute out.</summary>
    public string? Domain { get; set; }

    /// <summary>Whether scripts in the page are kept from reading the cookie. Default true.</summary>
    public bool HttpOnly { get; set; } = true;

    /// <summary>Whether the cookie is only sent over HTTPS. Default false.</summary>
    public bool Secure { get; set; }

    /// <summary>The cookie's SameSite attribute. Default <see cref="EngineCookieSameSite.Lax"/>.</summary>
    public EngineCookieSameSite SameSite { get; set; } = EngineCookieSameSite.Lax;

    /// <summary>How long the cookie lives (<c>Max-Age</c>); null (the default) makes it a session cookie.</summary>
    public TimeSpan? MaxAge { get; set; }
}

/// <summary>The SameSite attribute of <see cref="EngineCookieOptions"/>.</summary>
public enum EngineCookieSameSite
{
    /// <summary>No SameSite attribute.</summary>
    Unspecified,

    /// <summary><c>SameSite=None</c> (browsers then require <c>Secure</c>).</summary>
    None,

    /// <summary><c>SameSite=Lax</c>.</summary>
    Lax,

    /// <summary><c>SameSite=Strict</c>.</summary>
    Strict,
}
