using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Switchboard.AspNetCore.Admin;

/// <summary>
/// Who may use the admin page: HTTP Basic with the configured user and password, or a configured key in
/// <c>X-Admin-Key</c>. Credentials are compared as SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither their content nor their length shows
/// in the time an answer takes. Requests a browser marks as coming from another site are refused, so
/// another page cannot make an admin's browser act with its cached Basic credentials.
/// </summary>
internal sealed class AdminAccess
{
    public const string KeyHeader = "X-Admin-Key";
    private const string Realm = "Basic realm=\"Switchboard admin\", charset=\"UTF-8\"";
    private readonly byte[]? _basic;
    private readonly byte[][] _keys;

    public AdminAccess(SwitchboardAdminOptions options)
    {
        _basic = string.IsNullOrEmpty(options.Password) ? null : Digest($"{options.User}:{options.Password}");
        _keys = [.. options.Keys.Where(k => !string.IsNullOrEmpty(k)).Select(Digest)];
    }

    /// <summary>Why the request is refused (with its status), or null when it may go on.</summary>
    public (int Status, string Code, string Message)? Check(HttpRequest request)
    {
        // Sec-Fetch-Site is set by browsers and cannot be forged by a page; tools do not send it.
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is "cross-site" or "same-site")
        {
            return (StatusCodes.Status403Forbidden, "cross_site", "the admin page answers its own origin only");
        }
        var key = request.Headers[KeyHeader].ToString();
        if (key.Length > 0)
        {
            return Matches(_keys, Digest(key)) ? null : (StatusCodes.Status401Unauthorized, "admin_key_invalid", "the admin key is not valid");
        }
        var authorization = request.Headers.Authorization.ToString();
        if (_basic is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            var given = DecodeBasic(authorization.AsSpan("Basic ".Length).Trim());
            return given is not null && CryptographicOperations.FixedTimeEquals(_basic, Digest(given))
                ? null
                : (StatusCodes.Status401Unauthorized, "admin_credentials_invalid", "the user name or password is not valid");
        }
        return (StatusCodes.Status401Unauthorized, "admin_credentials_missing", "the admin page needs a credential");
    }

    /// <summary>Asks a browser for the Basic credentials, when Basic is on.</summary>
    public void Challenge(HttpResponse response)
    {
        if (_basic is not null)
        {
            response.Headers.WWWAuthenticate = Realm;
        }
    }

    private static bool Matches(byte[][] keys, byte[] given)
    {
        // Every key is compared, so the time does not tell which one matched.
        var found = false;
        foreach (var key in keys)
        {
            found |= CryptographicOperations.FixedTimeEquals(key, given);
        }
        return found;
    }

    private static string? DecodeBasic(ReadOnlySpan<char> encoded)
    {
        Span<byte> bytes = stackalloc byte[512];
        return encoded.Length <= 680 && Convert.TryFromBase64Chars(encoded, bytes, out var written)
            ? Encoding.UTF8.GetString(bytes[..written])
            : null;
    }

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
