using Microsoft.Extensions.Logging;

namespace Switchboard.SocketIO;

/// <summary>
/// What the Socket.IO limits of <see cref="LimitOptions"/> refused so far (docs/protection.md): readable
/// in code until metrics take them. Each kind of refusal is logged at most once per
/// <see cref="LogInterval"/>, with the count since the last line, so a flood cannot flood the log.
/// </summary>
public sealed partial class SocketLimits
{
    /// <summary>The shortest time between two log lines of one kind of refusal.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long[] _counts = new long[4];
    private readonly long[] _logged = new long[4];
    private readonly long[] _lastLog = new long[4];

    internal SocketLimits(ILogger logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
    }

    /// <summary>Events (and acks) dropped because their connection was over its packet or byte rate.</summary>
    public long EventsDropped => Interlocked.Read(ref _counts[(int)Kind.EventDropped]);

    /// <summary>Connections closed because they stayed well over their rate.</summary>
    public long ConnectionsClosed => Interlocked.Read(ref _counts[(int)Kind.ConnectionClosed]);

    /// <summary>Joins refused because the socket was at <see cref="LimitOptions.MaxRoomsPerSocket"/>.</summary>
    public long JoinsRefused => Interlocked.Read(ref _counts[(int)Kind.JoinRefused]);

    /// <summary><c>subscribe</c> channel events refused at <see cref="LimitOptions.MaxSubscriptionsPerSocket"/>.</summary>
    public long SubscriptionsRefused => Interlocked.Read(ref _counts[(int)Kind.SubscriptionRefused]);

    internal enum Kind
    {
        EventDropped,
        ConnectionClosed,
        JoinRefused,
        SubscriptionRefused,
    }

    /// <summary>Counts a refusal, and logs it unless a line of its kind was written less than <see cref="LogInterval"/> ago.</summary>
    internal void Refused(Kind kind, string id, int limit)
    {
        var i = (int)kind;
        var total = Interlocked.Increment(ref _counts[i]);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastLog[i]);
        if (last != 0 && _time.GetElapsedTime(last, now) < LogInterval)
        {
            return;
        }
        if (Interlocked.CompareExchange(ref _lastLog[i], now, last) != last)
        {
            return;
        }
        var since = total - Interlocked.Exchange(ref _logged[i], total);
        switch (kind)
        {
            case Kind.EventDropped:
                LogEventDropped(_logger, id, limit, since);
                break;
            case Kind.ConnectionClosed:
                LogConnectionClosed(_logger, id, limit, since);
                break;
            case Kind.JoinRefused:
                LogJoinRefused(_logger, id, limit, since);
                break;
            default:
                LogSubscriptionRefused(_logger, id, limit, since);
                break;
        }
    }

    [LoggerMessage(120, LogLevel.Warning, "Session {Sid} is over its event rate ({Limit}/s): packets dropped ({Count} since the last such line)")]
    private static partial void LogEventDropped(ILogger logger, string sid, int limit, long count);

    [LoggerMessage(121, LogLevel.Warning, "Session {Sid} stayed over its event rate ({Limit}/s): connection closed ({Count} since the last such line)")]
    private static partial void LogConnectionClosed(ILogger logger, string sid, int limit, long count);

    [LoggerMessage(122, LogLevel.Warning, "Socket {SocketId} is in {Limit} rooms: join refused ({Count} since the last such line)")]
    private static partial void LogJoinRefused(ILogger logger, string socketId, int limit, long count);

    [LoggerMessage(123, LogLevel.Warning, "Socket {SocketId} has {Limit} subscriptions: subscribe refused ({Count} since the last such line)")]
    private static partial void LogSubscriptionRefused(ILogger logger, string socketId, int limit, long count);
}

/// <summary>Thrown by <see cref="Socket.Join(string)"/> when the socket is already in <see cref="LimitOptions.MaxRoomsPerSocket"/> rooms.</summary>
public sealed class SocketLimitException(string message) : InvalidOperationException(message);

public sealed partial class SocketLimits
{
    /// <summary>Adds each kind's count so far to <paramref name="refusals"/>, under its <c>switchboard.limit</c> name.</summary>
    internal void Observe(ICollection<System.Diagnostics.Metrics.Measurement<long>> refusals)
    {
        refusals.Add(Measure(EventsDropped, "socketio_event_rate"));
        refusals.Add(Measure(ConnectionsClosed, "socketio_connection_rate"));
        refusals.Add(Measure(JoinsRefused, "socketio_rooms_per_socket"));
        refusals.Add(Measure(SubscriptionsRefused, "socketio_subscriptions_per_socket"));
    }

    internal static System.Diagnostics.Metrics.Measurement<long> Measure(long count, string limit) =>
        new(count, new KeyValuePair<string, object?>("switchboard.limit", limit));
}
