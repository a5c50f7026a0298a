using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Channels;

namespace Switchboard.AspNetCore.Shared;

/// <summary>
/// Finds a client's token in an HTTP request, the same way for every channel protocol: the
/// <c>Authorization: Bearer</c> header, then the <c>token</c> query parameter (EventSource and browser
/// WebSockets cannot set headers), then the <c>sb_token</c> cookie; and asks the registered
/// <see cref="IChannelAuthorizer"/> for the grant.
/// </summary>
public static class ChannelRequestAuth
{
    /// <summary>The query parameter a token may come in.</summary>
    public const string QueryParameter = "token";
    /// <summary>The cookie a token may come in.</summary>
    public const string CookieName = "sb_token";

    /// <summary>The request's token (header, then query, then cookie), or null.</summary>
    public static string? ReadToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }
        var query = request.Query[QueryParameter].ToString();
        if (query.Length > 0)
        {
            return query;
        }
        return request.Cookies.TryGetValue(CookieName, out var cookie) && cookie.Length > 0 ? cookie : null;
    }

    /// <summary>The grant of the request's token from the registered authorizer (everything allowed when none is registered).</summary>
    public static ValueTask<ChannelAuthResult> AuthorizeAsync(HttpContext context)
    {
        var authorizer = context.RequestServices.GetService<IChannelAuthorizer>() ?? new AllowAllChannelAuthorizer();
        return authorizer.AuthorizeAsync(ReadToken(context.Request), context.RequestAborted);
    }

    /// <summary>Writes the JSON error body every channel endpoint uses: <c>{"error":{"code":"...","message":"..."}}</c>.</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { code, message } }));
    }

    /// <summary>The error code of a refused credential: <c>token_missing</c>, <c>token_expired</c> or <c>token_invalid</c>.</summary>
    public static string FailureCode(ChannelAuthResult result) => (result.Failure ?? ChannelAuthFailure.Invalid).ToWireName();

    /// <summary>401 for a missing, expired or invalid token, with the reason as the error code.</summary>
    public static Task WriteAuthFailureAsync(HttpContext context, ChannelAuthResult result)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteErrorAsync(context, StatusCodes.Status401Unauthorized, FailureCode(result), result.Message ?? "Unauthorized");
    }
}
