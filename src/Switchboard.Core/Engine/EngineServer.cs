using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Logging;
using Switchboard.Timing;

namespace Switchboard.Engine;

/// <summary>
/// The Engine.IO server of one endpoint: its sessions, their heartbeat scan, and the application that
/// handles each new session. Transports (in Switchboard.AspNetCore) create and find sessions here.
/// </summary>
public sealed partial class EngineServer : IDisposable, Connections.ISendScanned
{
    private readonly ConcurrentDictionary<string, EngineSession> _sessions = new(StringComparer.Ordinal);
    private readonly DeadlineScheduler _scheduler;
    private readonly Action<EngineSession> _onConnection;

    /// <summary>An Engine.IO server that calls <paramref name="onConnection"/> for each new session.</summary>
    /// <param name="options">Heartbeat, transports and limits.</param>
    /// <param name="onConnection">Runs for every session once its handshake is answered; it sets the session's handler.</param>
    /// <param name="logger">Where the server logs; none when null.</param>
    /// <param name="time">The clock; the system clock when null.</param>
    public EngineServer(EngineOptions options, Action<EngineSession> onConnection, ILogger? logger = null, TimeProvider? time = null)
    {
        options.Validate();
        Options = options;
        _onConnection = onConnection;
        Time = time ?? TimeProvider.System;
        Log = new EngineLog(logger ?? NullLogger.Instance);
        Refusals = new LogThrottle(options.RefusalLogInterval, Time);
        _scheduler = new DeadlineScheduler(Time, options.EffectiveTimerResolution);
        PingLane = _scheduler.CreateLane(options.PingInterval);
        PongLane = _scheduler.CreateLane(options.PingTimeout);
        _drainLane = _scheduler.CreateLane(options.PingInterval + options.PingTimeout);
        // A client that closed only needs its session found by a poll it sent at the same moment; it
        // does not hold its place (and its connection slot) for a heartbeat's time.
        _clientCloseDrainLane = _scheduler.CreateLane(TimeSpan.FromTicks(Math.Min(ClientCloseDrain.Ticks, (options.PingInterval + options.PingTimeout).Ticks)));
        // The one scan of every write in progress: these sessions, and the channel connections of the
        // namespaces above this server (they add their hubs).
        SendScan = new Connections.SendScan(Time);
        SendScan.Add(this, options.SendTimeout);
    }

    /// <summary>The one scan of writes in progress of this server's connections, of every protocol.</summary>
    internal Connections.SendScan SendScan { get; }

    void Connections.ISendScanned.CheckSends(long now)
    {
        // The dictionary itself, not Values: no snapshot per tick.
        foreach (var pair in _sessions)
        {
            pair.Value.CheckSend(now);
        }
    }

    private readonly DeadlineScheduler.Lane _drainLane;
    private readonly DeadlineScheduler.Lane _clientCloseDrainLane;

    /// <summary>How long a session the client closed while no poll was held stays findable for that poll.</summary>
    internal static readonly TimeSpan ClientCloseDrain = TimeSpan.FromSeconds(2);

    /// <summary>The options the server was made with.</summary>
    public EngineOptions Options { get; }

    /// <summary>The clock of heartbeats and timeouts.</summary>
    public TimeProvider Time { get; }

    /// <summary>How many sessions are open.</summary>
    public int SessionCount => _sessions.Count;

    internal EngineLog Log { get; }

    /// <summary>The throttle of refusal log lines, shared by every protocol served with this server.</summary>
    public LogThrottle Refusals { get; }

    internal DeadlineScheduler.Lane PingLane { get; }

    /// <summary>The scan's tick in <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    internal long TickTimestampUnits => (long)(_scheduler.Tick.TotalSeconds * Time.TimestampFrequency);

    internal DeadlineScheduler.Lane PongLane { get; }

    /// <summary>Creates a lane in this server's one periodic scan, for other fixed-delay deadlines.</summary>
    internal DeadlineScheduler.Lane CreateLane(TimeSpan delay) => _scheduler.CreateLane(delay);

    /// <summary>Opens a session: registers it, starts its heartbeat and lets the application attach.</summary>
    public EngineSession Open(EngineTransportKind transport, EngineRequest request) => Open(transport, request, null);

    /// <summary>Opens a session with an id chosen beforehand (one the response already carries, such as a cookie's); a new one should it be taken.</summary>
    internal EngineSession Open(EngineTransportKind transport, EngineRequest request, string? id)
    {
        EngineSession session;
        do
        {
            session = new EngineSession(this, id ?? NewSessionId(), transport, request);
            id = null;
        }
        while (!_sessions.TryAdd(session.Id, session));
        session.CountOpened();
        session.StartHeartbeat();
        Log.SessionOpened(session.Id, transport);
        try
        {
            _onConnection(session);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(session.Id, ex);
            session.Close(Protocols.DisconnectCode.Disconnected);
        }
        OnConnection(session);
        return session;
    }

    /// <summary>
    /// Finds an open session; a session whose heartbeat deadline passed is closed and not found. With
    /// <paramref name="forPoll"/>, a session the server closed while nobody polled is found once more, so
    /// that poll can deliver its last packets.
    /// </summary>
    public EngineSession? Find(string sid, bool forPoll = false)
    {
        if (!_sessions.TryGetValue(sid, out var session))
        {
            return null;
        }
        if (session.IsClosed)
        {
            return forPoll && (session.Draining || session.ClientCloseUnsettled) ? session : null;
        }
        return session.ExpireIfOverdue() ? null : session;
    }

    internal void ScheduleDrainExpiry(EngineSession session, bool clientClose) =>
        (clientClose ? _clientCloseDrainLane : _drainLane).Schedule(new DrainExpiry(this, session), 0);

    private sealed class DrainExpiry(EngineServer server, EngineSession session) : IDeadlineTarget
    {
        public void OnDeadline(int token, long due) => server.Remove(session);
    }

    /// <summary>The open sessions.</summary>
    public IEnumerable<EngineSession> Sessions => _sessions.Values;

    /// <summary>
    /// Called once for each session when it leaves the server (closed, and drained if it was polling):
    /// where admission control gives back the session's connection slot.
    /// </summary>
    public Action<EngineSession>? SessionRemoved { get; set; }

    internal void Remove(EngineSession session)
    {
        if (RemoveCounted(session))
        {
            SessionRemoved?.Invoke(session);
        }
    }

    /// <summary>Closes every session as the server shuts down (<see cref="Protocols.DisconnectCode.Shutdown"/>).</summary>
    public void CloseAll() => CloseAll(Protocols.DisconnectCode.Shutdown);

    /// <summary>Closes every session with <paramref name="code"/>.</summary>
    public void CloseAll(Protocols.DisconnectCode code)
    {
        foreach (var session in _sessions.Values)
        {
            session.Close(code);
        }
    }

    /// <summary>Closes every session, in the former Engine.IO vocabulary.</summary>
    [Obsolete("Use CloseAll(DisconnectCode): sessions close with a DisconnectCode (docs/disconnect-reasons.md).")]
    public void CloseAll(EngineCloseReason reason) => CloseAll(reason.ToCode());

    /// <summary>20 URL-safe characters from 15 random bytes (base64url without padding).</summary>
    internal static string NewSessionId() => SessionIds.Next();

    /// <summary>Stops the heartbeat scan.</summary>
    public void Dispose()
    {
        CloseAll();
        Metrics?.Forget(this);
        SendScan.Dispose();
        _scheduler.Dispose();
    }
}
