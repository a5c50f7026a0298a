using Microsoft.AspNetCore.Http;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Transports;

/// <summary>
/// Sets <see cref="EngineOptions.Cookie"/> on a handshake response (the polling handshake's answer, or
/// the WebSocket's 101), its value the session id, as Node's engine.io does on the initial request only.
/// </summary>
internal static class EngineCookie
{
    public static void Set(HttpContext context, EngineOptions options, string sessionId)
    {
        if (options.Cookie is not { } cookie)
        {
            return;
        }
        context.Response.Cookies.Append(cookie.Name, sessionId, new CookieOptions
        {
            Path = cookie.Path,
            Domain = cookie.Domain,
            HttpOnly = cookie.HttpOnly,
            Secure = cookie.Secure,
            MaxAge = cookie.MaxAge,
            SameSite = cookie.SameSite switch
            {
                EngineCookieSameSite.None => SameSiteMode.None,
                EngineCookieSameSite.Lax => SameSiteMode.Lax,
                EngineCookieSameSite.Strict => SameSiteMode.Strict,
                _ => SameSiteMode.Unspecified,
            },
        });
    }
}
