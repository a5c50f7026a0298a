using System.Text.Json;
using Switchboard.AspNetCore.Shared;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.SocketChannels;

/// <summary>
/// Finds a Socket.IO client's token: the CONNECT auth payload's <c>token</c> (what socket.io-client's
/// <c>auth: { token }</c> sends), else, like every other channel protocol (<see cref="ChannelRequestAuth"/>),
/// the <c>Authorization: Bearer</c> header, the <c>token</c> query parameter or the <c>sb_token</c> cookie
/// of the request that opened the connection.
/// </summary>
internal static class SocketHandshakeToken
{
    /// <summary>False when the auth payload has a <c>token</c> that is not a string.</summary>
    public static bool TryRead(SocketHandshake handshake, out string? token)
    {
        token = null;
        if (handshake.Auth.ValueKind == JsonValueKind.Object && handshake.Auth.TryGetProperty("token", out var value) && value.ValueKind != JsonValueKind.Null)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return false;
            }
            token = value.GetString();
            return true;
        }
        if (handshake.Headers.TryGetValue("authorization", out var header) && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }
        else if (handshake.Query.TryGetValue(ChannelRequestAuth.QueryParameter, out var query) && query.Length > 0)
        {
            token = query;
        }
        else if (handshake.Headers.TryGetValue("cookie", out var cookies))
        {
            token = Cookie(cookies, ChannelRequestAuth.CookieName);
        }
        return true;
    }

    private static string? Cookie(string header, string name)
    {
        foreach (var part in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part.AsSpan(0, eq).SequenceEqual(name) && eq < part.Length - 1)
            {
                return Uri.UnescapeDataString(part[(eq + 1)..].Trim('"'));
            }
        }
        return null;
    }
}
