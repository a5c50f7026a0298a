using Microsoft.AspNetCore.Http;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// Sets <see cref="EngineOptions.Cookie"/> on a handshake response (the polling handshake's answer, or
/// the WebSocket's 101), its value the session id, as Node's engine.io does on the initial request only.
/// </summary>
internal static class EngineCookie
{
    /// <summary>
    /// For a response that goes out before its session is opened (a WebSocket's 101): chooses the
    /// session's id and sets the cookie to it; null, and nothing set, without <see cref="EngineOptions.Cookie"/>.
    /// </summary>
    public static string? SetBeforeOpen(HttpContext context, EngineOptions options)
    {
        if (options.Cookie is null)
        {
            return null;
        }
        var id = EngineServer.NewSessionId();
        Set(context, options, id);
        return id;
    }

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
