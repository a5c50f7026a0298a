using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Cluster;

/// <summary>
/// Long-polling without sticky sessions (docs/cluster.md, "Long-polling"): a polling request for a
/// session this node does not hold is forwarded, as it is, to the node that holds it, found by asking
/// the cluster (and remembered for a minute), and its answer is copied back. A forwarded request is
/// marked, so it is never forwarded twice. WebSocket upgrades are not forwarded: an upgrade that lands
/// on another node is refused and the client keeps polling.
/// </summary>
internal sealed partial class PollingForwarder(SocketServer server, ILogger logger)
{
    public const string ForwardedHeader = "X-Switchboard-Forwarded";
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Unknown = TimeSpan.FromSeconds(5);
    private static readonly System.Buffers.SearchValues<char> SidCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    private long _remembered;
    private readonly ConcurrentDictionary<string, (string Address, long Until)> _owners = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    })
    {
        // A held poll lasts up to a ping interval; the owner ends it by then.
        Timeout = server.Options.Engine.PingInterval + server.Options.Engine.PingTimeout + TimeSpan.FromSeconds(10),
    };

    /// <summary>Forwards the request when another node holds the session; false when none does (or it was forwarded already).</summary>
    public async Task<bool> TryForwardAsync(HttpContext context, string sid)
    {
        if (context.Request.Headers.ContainsKey(ForwardedHeader))
        {
            return false;
        }
        var owner = await LocateAsync(sid).ConfigureAwait(false);
        if (owner is null)
        {
            return false;
        }
        var target = new Uri(new Uri(owner), context.Request.PathBase + context.Request.Path + context.Request.QueryString);
        using var forwarded = new HttpRequestMessage(new HttpMethod(context.Request.Method), target);
        forwarded.Headers.TryAddWithoutValidation(ForwardedHeader, "1");
        if (HttpMethods.IsPost(context.Request.Method))
        {
            forwarded.Content = new StreamContent(context.Request.Body);
            if (context.Request.ContentType is { } type)
            {
                forwarded.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }
        try
        {
            using var response = await _http.SendAsync(forwarded, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } contentType)
            {
                context.Response.ContentType = contentType.ToString();
            }
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
        {
            // The owner went away or did not answer in time: forget it; the client's next request finds no
            // session and reconnects.
            _owners.TryRemove(sid, out _);
            LogForwardFailed(logger, sid, owner, ex.Message);
            if (context.Response.HasStarted)
            {
                // Part of the owner's answer is out: an error cannot follow it, the request ends here.
                context.Abort();
                return true;
            }
            return false;
        }
    }

    private async ValueTask<string?> LocateAsync(string sid)
    {
        var now = Environment.TickCount64;
        if (_owners.TryGetValue(sid, out var known) && known.Until > now)
        {
            return known.Address.Length == 0 ? null : known.Address;
        }
        if (sid.Length > 64 || sid.AsSpan().ContainsAnyExcept(SidCharacters))
        {
            // Not an id any node gives out: nobody is asked.
            return null;
        }
        string? address;
        try
        {
            address = await server.LocateSessionAsync(sid).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A node that did not answer, or Redis out of reach: the request is refused as an unknown session.
            LogForwardFailed(logger, sid, "?", ex.Message);
            return null;
        }
        if (Interlocked.Increment(ref _remembered) > 100_000)
        {
            // Bounded: rarely, everything is forgotten and asked again.
            Interlocked.Exchange(ref _remembered, 0);
            _owners.Clear();
        }
        // A miss is remembered too, briefly: clients of a restarted node come back with their old ids.
        _owners[sid] = address is null ? ("", now + (long)Unknown.TotalMilliseconds) : (address, now + (long)Remembered.TotalMilliseconds);
        return address;
    }

    [LoggerMessage(20, LogLevel.Warning, "Could not forward a polling request of session {Sid} to {Owner}: {Reason}")]
    private static partial void LogForwardFailed(ILogger logger, string sid, string owner, string reason);
}
