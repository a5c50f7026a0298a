using System.Net;
using System.Text.Json;
using Switchboard.Engine;

namespace Switchboard.SocketIO;

/// <summary>What a socket knows of how it connected: the HTTP request that opened its connection and the auth payload of its CONNECT.</summary>
public sealed class SocketHandshake(EngineRequest request, JsonElement auth)
{
    /// <summary>The CONNECT packet's auth payload; an empty object when the client sent none.</summary>
    public JsonElement Auth { get; } = auth;

    public IReadOnlyDictionary<string, string> Headers => request.Headers;

    public IReadOnlyDictionary<string, string> Query => request.Query;

    public IPAddress? Address => request.RemoteAddress;

    public bool Secure => request.IsSecure;

    public string Url => request.Url;

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
