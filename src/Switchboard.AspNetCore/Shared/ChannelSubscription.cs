using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Channels;
using Switchboard.Protocols;
using Switchboard.Protocols.Channels;

namespace Switchboard.AspNetCore.Shared;

/// <summary>A channel connection of the HTTP protocols (SSE, long-poll): the base class does all the work.</summary>
/// <summary>An SSE stream's or a long-poll session's connection; <paramref name="abort"/> drops the HTTP connection under it.</summary>
internal sealed class HttpChannelConnection(ChannelHub hub, string protocol, ChannelGrant grant, Action? abort = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    : ChannelConnection(hub, protocol, grant)
{
    protected override void OnSlowConsumer()
    {
        if (logger is not null)
        {
            ChannelEndpointLog.SlowConsumer(logger, Protocol, ConnectionId, QueuedBytes, MaxQueuedBytes);
        }
    }

    /// <summary>The stream starts a write to the client (timed by the server's one send scan).</summary>
    public void BeginWrite() => BeginSend();

    public void EndWrite() => EndSend();

    /// <summary>A flush or an answer carried <paramref name="messages"/> messages of <paramref name="bytes"/> bytes.</summary>
    public void Wrote(long messages, long bytes) => CountSent(messages, bytes);

    private int _expired;

    /// <summary>Whether <see cref="Expire"/> was called: a long poll's timeout passed.</summary>
    public bool Expired => Volatile.Read(ref _expired) != 0;

    /// <summary>
    /// Marks the connection's poll as timed out and wakes its waiter with a signal: the long poll waits
    /// on <see cref="ChannelConnection.WaitAsync"/> without a token, so neither its timer nor the request's
    /// cancellation allocates a linked token source or a registration per wait.
    /// </summary>
    public void Expire()
    {
        Volatile.Write(ref _expired, 1);
        Signal();
    }

    /// <summary>The client stopped reading: told why (if it ever reads again), and the connection dropped, which frees the write.</summary>
    protected override void OnSendTimeout()
    {
        Disconnect(DisconnectCode.SlowConsumer);
        abort?.Invoke();
    }
}

/// <summary>
/// What SSE and long-poll share: checking a subscription request (token, channel list, grant), subscribing
/// a connection to every channel from a cursor, and keeping each channel's position as the transport
/// hands out the connection's messages, so the cursor given with a message covers exactly what was
/// handed out before it.
/// </summary>
internal sealed class ChannelSubscription
{
    private const int ScannedChannels = 4;
    private readonly Dictionary<string, int>? _index;

    private ChannelSubscription(string[] channels, StreamPosition[] positions, bool resumed, bool cursorMalformed)
    {
        Channels = channels;
        Positions = positions;
        Resumed = resumed;
        CursorMalformed = cursorMalformed;
        if (channels.Length > ScannedChannels)
        {
            _index = new Dictionary<string, int>(channels.Length, StringComparer.Ordinal);
            for (var i = 0; i < channels.Length; i++)
            {
                _index[channels[i]] = i;
            }
        }
    }

    /// <summary>The channels, in the request's order (the cursor's order).</summary>
    public string[] Channels { get; }

    /// <summary>Each channel's position: what the client has been handed so far.</summary>
    public StreamPosition[] Positions { get; }

    /// <summary>True when the request's cursor fitted and every channel resumes from its position in it.</summary>
    public bool Resumed { get; }

    /// <summary>
    /// True when the request carried a cursor that could not be read for these channels: every channel
    /// started from its current position and the transport must tell the client of a discontinuity in
    /// each, before anything else.
    /// </summary>
    public bool CursorMalformed { get; }

    public string Cursor => ChannelCursor.Format(Positions);

    /// <summary>Writes the cursor as a JSON string property without making a string of it (a long-poll answer carries one).</summary>
    public void WriteCursor(System.Text.Json.Utf8JsonWriter writer, ReadOnlySpan<byte> propertyName)
    {
        var length = ChannelCursor.MaxLength(Positions);
        var rented = length > 512 ? System.Buffers.ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            var bytes = rented is null ? stackalloc byte[length] : rented;
            writer.WriteString(propertyName, bytes[..ChannelCursor.Write(bytes, Positions)]);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Checks the request: a valid token (401), 1 to <paramref name="maxChannels"/> valid distinct
    /// channels (400), each of which the grant may subscribe to (403). Returns the channels and grant, or
    /// null after answering the refusal, which <paramref name="metrics"/> counts as a refused handshake of
    /// <paramref name="protocol"/>.
    /// </summary>
    public static async ValueTask<(string[] Channels, ChannelGrant Grant)?> AcceptAsync(HttpContext context, int maxChannels, string endpoint, ILogger logger,
        Diagnostics.SwitchboardMetrics? metrics = null, string protocol = "")
    {
        var auth = await ChannelRequestAuth.AuthorizeAsync(context).ConfigureAwait(false);
        if (!auth.Succeeded)
        {
            metrics?.HandshakeRefused(protocol, protocol, "unauthorized");
            if (ChannelEndpointLog.ShouldLogRefusal(context, logger, endpoint, StatusCodes.Status401Unauthorized, ChannelRequestAuth.FailureCode(auth)))
            {
                ChannelEndpointLog.RequestRefused(logger, endpoint, StatusCodes.Status401Unauthorized, ChannelRequestAuth.FailureCode(auth), auth.Message ?? "", context.Connection.RemoteIpAddress?.ToString());
            }
            await ChannelRequestAuth.WriteAuthFailureAsync(context, auth).ConfigureAwait(false);
            return null;
        }
        var channels = ChannelNames.FromQuery(context.Request.Query["channel"]);
        if (ChannelNames.CheckList(channels, maxChannels) is { } problem)
        {
            metrics?.HandshakeRefused(protocol, protocol, "invalid_channel");
            await problem.WriteAsync(context, logger, endpoint).ConfigureAwait(false);
            return null;
        }
        foreach (var channel in channels)
        {
            if (!auth.Grant!.CanSubscribe(channel))
            {
                metrics?.HandshakeRefused(protocol, protocol, "forbidden");
                await new RequestProblem(StatusCodes.Status403Forbidden, "forbidden", $"not allowed to subscribe to '{channel}'").WriteAsync(context, logger, endpoint).ConfigureAwait(false);
                return null;
            }
        }
        return (channels, auth.Grant!);
    }

    /// <summary>
    /// Subscribes <paramref name="connection"/> to <paramref name="channels"/>. With a cursor that fits,
    /// each channel resumes after its position (the hub replays, or queues a discontinuity when the
    /// position is gone); without one, each starts from now; with one that does not fit,
    /// <see cref="CursorMalformed"/> is set.
    /// </summary>
    public static async ValueTask<ChannelSubscription> OpenAsync(ChannelConnection connection, string[] channels, string? cursor, CancellationToken cancellationToken)
    {
        var hasCursor = !string.IsNullOrEmpty(cursor);
        var resumed = ChannelCursor.TryParse(cursor, channels.Length, out var since);
        var positions = new StreamPosition[channels.Length];
        for (var i = 0; i < channels.Length; i++)
        {
            var top = await connection.SubscribeAsync(channels[i], resumed ? since[i] : null, cancellationToken).ConfigureAwait(false);
            positions[i] = resumed ? since[i] : top;
        }
        return new ChannelSubscription(channels, positions, resumed, hasCursor && !resumed);
    }

    /// <summary>Moves the channel of a publication or discontinuity to its new position; returns the channel's index, or -1.</summary>
    public int Apply(in ChannelMessage message)
    {
        switch (message.Kind)
        {
            case ChannelMessageKind.Publication when IndexOf(message.Entry.Channel) is var i and >= 0:
                Positions[i] = message.Entry.Position;
                return i;
            case ChannelMessageKind.Discontinuity when message.Channel is not null && IndexOf(message.Channel) is var j and >= 0:
                Positions[j] = message.Top;
                return j;
            default:
                return -1;
        }
    }

    private int IndexOf(string channel)
    {
        // Most streams have one channel or a few: comparing names is cheaper than hashing one.
        if (Channels.Length <= ScannedChannels)
        {
            for (var i = 0; i < Channels.Length; i++)
            {
                if (string.Equals(Channels[i], channel, StringComparison.Ordinal))
                {
                    return i;
                }
            }
            return -1;
        }
        return _index!.TryGetValue(channel, out var index) ? index : -1;
    }

    /// <summary>The cursor as the request gave it: the <c>Last-Event-ID</c> header first (an EventSource reconnecting), then the query parameter.</summary>
    public static string? ReadCursor(HttpRequest request, string queryParameter, bool lastEventIdHeader)
    {
        if (lastEventIdHeader && request.Headers.TryGetValue("Last-Event-ID", out var header) && header.ToString().Length > 0)
        {
            return header.ToString();
        }
        var query = request.Query[queryParameter].ToString();
        return query.Length > 0 ? query : null;
    }
}
