using System.Net;
using System.Text.Json;
using Switchboard.Engine;

namespace Switchboard.SocketIO;

/// <summary>What a socket knows of how it connected: the HTTP request that opened its connection and the auth payload of its CONNECT.</summary>
public sealed class SocketHandshake(EngineRequest request, JsonElement auth)
{
    /// <summary>The CONNECT packet's auth payload; an empty object when the client sent none.</summary>
    public JsonElement Auth { get; } = auth;

    /// <summary>The request headers.</summary>
    public IReadOnlyDictionary<string, string> Headers => request.Headers;

    /// <summary>The query string parameters.</summary>
    public IReadOnlyDictionary<string, string> Query => request.Query;

    /// <summary>The client's address (as ASP.NET Core's forwarded headers middleware left it, when the app uses it).</summary>
    public IPAddress? Address => request.RemoteAddress;

    /// <summary>Whether the connection came over TLS.</summary>
    public bool Secure => request.IsSecure;

    /// <summary>The request URL (path and query).</summary>
    public string Url => request.Url;

    /// <summary>When the handshake happened.</summary>
    public DateTimeOffset IssuedAt => request.IssuedAt;

    /// <summary>The auth payload deserialized as <typeparamref name="T"/>, or default when it does not fit.</summary>
    public T? GetAuth<T>()
    {
        try
        {
            return Auth.Deserialize<T>(Protocols.SocketIO.SocketJson.Options);
        }
        catch (JsonException)
        {
            return default;
        }
    }
}
