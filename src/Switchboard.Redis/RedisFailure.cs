using System.Net;
using StackExchange.Redis;

namespace Switchboard.Redis;

/// <summary>
/// Short descriptions of Redis trouble for log lines and health answers. StackExchange.Redis messages
/// carry a page of thread-pool diagnostics; a log line per retry needs only where and why.
/// </summary>
public static class RedisFailure
{
    /// <summary>
    /// "127.0.0.1:6379: Connection refused" rather than the client's full diagnostic message: the
    /// endpoints tried and the reason, at most ~200 characters.
    /// </summary>
    public static string Describe(Exception exception, IConnectionMultiplexer? redis = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var reason = exception switch
        {
            TimeoutException => "timed out",
            RedisConnectionException connection => Reason(connection.Message) is { Length: > 0 } text ? text : connection.FailureType.ToString(),
            _ => Reason(exception.Message),
        };
        if (reason.Length > 200)
        {
            reason = string.Concat(reason.AsSpan(0, 200), "…");
        }
        return redis is null ? reason : $"{Endpoints(redis)}: {reason}";
    }

    /// <summary>The configured endpoints, comma-separated (no password: endpoints only).</summary>
    public static string Endpoints(IConnectionMultiplexer redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return string.Join(",", redis.GetEndPoints(configuredOnly: true).Select(Format));
    }

    /// <summary>The connected primary's endpoint, or null when none is connected.</summary>
    public static string? Primary(IConnectionMultiplexer redis)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return redis.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica)?.EndPoint is { } endpoint ? Format(endpoint) : null;
    }

    private static string Format(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint { Address.AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ip => $"[{ip.Address}]:{ip.Port}",
        _ => endpoint.ToString() ?? "?",
    };

    /// <summary>
    /// The part of a StackExchange.Redis message that says why: "No connection is active/available to
    /// service this operation: SUBSCRIBE x; Connection refused, mc: 1/1/0, …" gives "Connection refused".
    /// </summary>
    private static string Reason(string message)
    {
        var span = message.AsSpan();
        var diagnostics = span.IndexOf(", mc: ", StringComparison.Ordinal);
        if (diagnostics < 0)
        {
            diagnostics = span.IndexOf("; IOCP:", StringComparison.Ordinal);
        }
        if (diagnostics >= 0)
        {
            span = span[..diagnostics];
        }
        var cause = span.LastIndexOf("; ", StringComparison.Ordinal);
        if (cause >= 0)
        {
            span = span[(cause + 2)..];
        }
        return span.Trim().ToString();
    }
}
