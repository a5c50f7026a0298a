using Microsoft.AspNetCore.Connections;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.AspNetCore.Transports.Direct;

/// <summary>An endpoint whose WebSocket handshakes the direct mode can answer itself.</summary>
internal interface IDirectWebSocketEndpoint
{
    /// <summary>Whether it takes this handshake on the direct path; false leaves it to Kestrel and the endpoint's usual path.</summary>
    bool Takes(WebSocketHandshakeRequest request);

    /// <summary>Answers the handshake (101 or the endpoint's own error) and runs the connection until it ends.</summary>
    Task RunDirectAsync(ConnectionContext connection, WebSocketHandshakeRequest request, DirectWebSocketOptions options);
}

/// <summary>
/// The endpoints mapped with a literal path, by path (without a trailing slash, case-insensitive like
/// routing), for the direct mode's middleware; one per application (registered by <c>AddSwitchboard</c>).
/// </summary>
internal sealed class DirectEndpoints
{
    private readonly Lock _lock = new();
    private volatile KeyValuePair<string, IDirectWebSocketEndpoint>[] _entries = [];

    private long _taken;

    public bool IsEmpty => _entries.Length == 0;

    /// <summary>How many handshakes the direct mode answered itself (for tests and diagnostics).</summary>
    public long Taken => Interlocked.Read(ref _taken);

    internal void CountTaken() => Interlocked.Increment(ref _taken);

    /// <summary>Adds an endpoint; a pattern with route parameters is not served directly.</summary>
    public void Add(string path, IDirectWebSocketEndpoint endpoint)
    {
        path = path.TrimEnd('/');
        if (path.Length == 0 || path[0] != '/' || path.AsSpan().IndexOfAny("{}*?") >= 0)
        {
            return;
        }
        lock (_lock)
        {
            _entries = [.. _entries, new(path, endpoint)];
        }
    }

    /// <summary>The endpoint at <paramref name="path"/> (one trailing slash ignored).</summary>
    public IDirectWebSocketEndpoint? Find(ReadOnlySpan<char> path)
    {
        if (path.Length > 1 && path[^1] == '/')
        {
            path = path[..^1];
        }
        foreach (var (key, endpoint) in _entries)
        {
            if (path.Equals(key, StringComparison.OrdinalIgnoreCase))
            {
                return endpoint;
            }
        }
        return null;
    }

    /// <summary>Whether a request target of which only <paramref name="partial"/> has arrived may still be one of the paths.</summary>
    public bool CouldMatch(ReadOnlySpan<char> partial)
    {
        foreach (var (key, _) in _entries)
        {
            if (key.AsSpan().StartsWith(partial, StringComparison.OrdinalIgnoreCase)
                || (partial.StartsWith(key, StringComparison.OrdinalIgnoreCase) && (partial.Length == key.Length || partial[key.Length] is '/' or '?')))
            {
                return true;
            }
        }
        return false;
    }
}
