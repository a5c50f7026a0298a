namespace Switchboard.Engine;

public sealed partial class EngineSession
{
    private const int WaitingToPing = 0;
    private const int WaitingForPong = 1;

    private int _heartbeatState;
    private int _heartbeatToken;
    private long _pongDeadline;

    /// <summary>Starts the heartbeat: the first ping goes out one ping interval after the session was created.</summary>
    internal void StartHeartbeat()
    {
        lock (_receiveLock)
        {
            _heartbeatState = WaitingToPing;
            _server.PingLane.Schedule(this, ++_heartbeatToken);
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
            _server.PingLane.Schedule(this, ++_heartbeatToken);
        }
    }

    void Timing.IDeadlineTarget.OnDeadline(int token)
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
                _pongDeadline = _server.PongLane.Schedule(this, ++_heartbeatToken);
                Send(OutboundFrame.Ping);
            }
        }
        if (timedOut)
        {
            Close(EngineCloseReason.PingTimeout);
        }
    }

    /// <summary>
    /// The periodic scan runs at a coarse tick; a request that arrives for a session whose pong deadline
    /// has passed must still find it gone, so transports check this first.
    /// </summary>
    internal bool ExpireIfOverdue()
    {
        var overdue = false;
        lock (_receiveLock)
        {
            overdue = _heartbeatState == WaitingForPong && _server.Time.GetTimestamp() >= _pongDeadline && !IsClosed;
        }
        if (overdue)
        {
            Close(EngineCloseReason.PingTimeout);
        }
        return overdue;
    }
}
