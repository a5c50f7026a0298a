namespace Switchboard.Engine;

public sealed partial class EngineSession
{
    private const int WaitingToPing = 0;
    private const int WaitingForPong = 1;

    private int _heartbeatState;
    private int _heartbeatToken;
    private long _deadline;

    /// <summary>Starts the heartbeat: the first ping goes out one ping interval after the session was created.</summary>
    internal void StartHeartbeat()
    {
        lock (_receiveLock)
        {
            _heartbeatState = WaitingToPing;
            _deadline = _server.PingLane.Schedule(this, ++_heartbeatToken) + _server.PongLane.DelayTicks;
        }
    }

    private void OnPong()
    {
        lock (_receiveLock)
        {
            if (_heartbeatState != WaitingForPong)
            {
                return;
            }
            _heartbeatState = WaitingToPing;
            _deadline = _server.PingLane.Schedule(this, ++_heartbeatToken) + _server.PongLane.DelayTicks;
        }
    }

    /// <summary>
    /// Every deadline counts from when the previous one was due, not from when the scan noticed it, so
    /// a session silent for ping interval + ping timeout is gone then, whatever the scan's tick.
    /// </summary>
    void Timing.IDeadlineTarget.OnDeadline(int token, long due)
    {
        bool timedOut;
        lock (_receiveLock)
        {
            if (token != _heartbeatToken || IsClosed)
            {
                return;
            }
            timedOut = _heartbeatState == WaitingForPong;
            if (!timedOut)
            {
                _heartbeatState = WaitingForPong;
                _deadline = _server.PongLane.Schedule(this, ++_heartbeatToken, from: due);
                Send(OutboundFrame.Ping);
            }
        }
        if (timedOut)
        {
            Close(EngineCloseReason.PingTimeout);
        }
    }

    /// <summary>
    /// The periodic scan runs at a coarse tick; a request that arrives for a session whose heartbeat
    /// deadline (ping due + ping timeout) has passed must still find it gone, so lookups check this first.
    /// </summary>
    internal bool ExpireIfOverdue()
    {
        var overdue = false;
        lock (_receiveLock)
        {
            overdue = !IsClosed && _server.Time.GetTimestamp() >= _deadline;
        }
        if (overdue)
        {
            Close(EngineCloseReason.PingTimeout);
        }
        return overdue;
    }
}
