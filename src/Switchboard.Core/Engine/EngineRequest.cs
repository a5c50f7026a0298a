using System.Net;

namespace Switchboard.Engine;

/// <summary>What a session remembers of the HTTP request that opened it.</summary>
public sealed record EngineRequest(
    string Url,
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    IPAddress? RemoteAddress,
    bool IsSecure,
    DateTimeOffset IssuedAt);
