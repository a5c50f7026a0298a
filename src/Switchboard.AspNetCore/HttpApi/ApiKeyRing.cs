using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchboard.Channels;

namespace Switchboard.AspNetCore.HttpApi;

/// <summary>Who called the HTTP API: which configured key (by index), and what it may do.</summary>
internal sealed record ApiCaller(int KeyIndex, ChannelGrant Grant, bool Unrestricted);

/// <summary>
/// The HTTP API's keys. A key is read from <c>X-Api-Key</c>, else <c>Authorization: Bearer</c>, and
/// compared by its SHA-256 in constant time against every configured key, so neither the timing nor an
/// early exit tells how close a guess was.
/// </summary>
internal sealed class ApiKeyRing
{
    private readonly (byte[] Hash, ApiCaller Caller)[] _keys;

    public ApiKeyRing(ChannelApiOptions options)
    {
        var keys = new List<(byte[], ApiCaller)>();
        foreach (var key in options.ApiKeys)
        {
            keys.Add((Hash(key), new ApiCaller(keys.Count, ChannelGrant.All, Unrestricted: true)));
        }
        foreach (var (key, grant) in options.ScopedApiKeys)
        {
            keys.Add((Hash(key), new ApiCaller(keys.Count, grant, Unrestricted: false)));
        }
        _keys = [.. keys];
    }

    public static string? ReadKey(HttpRequest request)
    {
        var header = request.Headers["X-Api-Key"].ToString();
        if (header.Length > 0)
        {
            return header;
        }
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization.Length > "Bearer ".Length
            ? authorization["Bearer ".Length..].Trim()
            : null;
    }

    public ApiCaller? Find(string key)
    {
        var hash = Hash(key);
        ApiCaller? found = null;
        foreach (var (candidate, caller) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, candidate))
            {
                found = caller;
            }
        }
        return found;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
