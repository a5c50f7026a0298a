using Switchboard.Timing;

namespace Switchboard.Engine;

public sealed partial class EngineSession
{
    private const int WaitingToPing = 0;
    private const int WaitingForPong = 1;

    // The queue is internal and its lock is only ever held briefly, so it guards the session's state too
    // (one lock object fewer per session). The ping is sent after it is released: it may go out on the
    // scan's thread (SendDirect), and a send must not hold the session's state.
    private object StateLock => _outbound;
    private int _heartbeatState;
    private int _heartbeatToken;
    private long _deadline;

    // The heartbeat's one pending deadline, cancelled when it is replaced or the session closes, so the
    // scan never holds a session that has gone.
    private DeadlineScheduler.Lane? _heartbeatLane;
    private long _heartbeatTicket;

    /// <summary>Starts the heartbeat: the first ping goes out one ping interval after the session was created.</summary>
    internal void StartHeartbeat()
    {
        lock (StateLock)
        {
            _heartbeatState = WaitingToPing;
            SchedulePing();
        }
    }

    /// <summary>Under the state lock: the next ping, replacing the pending deadline.</summary>
    private void SchedulePing()
    {
        CancelHeartbeatDeadline();
        _heartbeatLane = _server.PingLane;
        _deadline = _server.PingLane.Schedule(this, ++_heartbeatToken, out _heartbeatTicket) + _server.PongLane.DelayTicks;
    }

    /// <summary>Under the state lock.</summary>
    private void CancelHeartbeatDeadline()
    {
        _heartbeatLane?.Cancel(_heartbeatTicket);
        _heartbeatLane = null;
    }

    private void OnPong()
    {
        lock (StateLock)
        {
            if (_heartbeatState != WaitingForPong)
            {
                return;
            }
            _heartbeatState = WaitingToPing;
            SchedulePing();
        }
    }

    /// <summary>
    /// Every deadline counts from when the previous one was due, not from when the scan noticed it, so
    /// a session silent for ping interval + ping timeout is gone then, whatever the scan's tick.
    /// </summary>
    void IDeadlineTarget.OnDeadline(int token, long due)
    {
        bool timedOut;
        lock (StateLock)
        {
            if (token != _heartbeatToken || IsClosed)
            {
                return;
            }
            timedOut = _heartbeatState == WaitingForPong;
            if (!timedOut)
            {
                _heartbeatState = WaitingForPong;
                // The pong is due a ping timeout after the ping was due, so a silent session is gone at
                // interval + timeout exactly; but a ping the scan sends late (a stall, not a tick's
                // jitter) still leaves the client nearly its whole timeout to answer.
                var now = _server.Time.GetTimestamp();
                var from = Math.Max(due, now - _server.TickTimestampUnits);
                _heartbeatLane = _server.PongLane;
                _deadline = _server.PongLane.Schedule(this, ++_heartbeatToken, out _heartbeatTicket, from);
            }
        }
        if (!timedOut)
        {
            // A close in between makes this a no-op; a pong cannot come before the ping, and the state already waits for it.
            // In Engine.IO v3 the client pings: its silence for this long only starts the wait for its ping.
            // The ping goes out directly when the writer is idle, so the ring is not needed for it: an idle
            // session does not keep one between heartbeats.
            _outbound.TrimIfEmpty();
            if (Protocol != 3)
            {
                SendDirect(OutboundFrame.Ping);
            }
        }
        else
        {
            // Off the scan's thread: closing runs the application's handlers.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Close(Protocols.DisconnectCode.PingTimeout), this, preferLocal: false);
        }
    }

    /// <summary>
    /// The periodic scan runs at a coarse tick; a request that arrives for a session whose heartbeat
    /// deadline (ping due + ping timeout) has passed must still find it gone, so lookups check this first.
    /// </summary>
    internal bool ExpireIfOverdue()
    {
        var overdue = false;
        lock (StateLock)
        {
            overdue = !IsClosed && _server.Time.GetTimestamp() >= _deadline;
        }
        if (overdue)
        {
            Close(Protocols.DisconnectCode.PingTimeout);
        }
        return overdue;
    }
}
