namespace Switchboard.Client;

/// <summary>
/// The Engine.IO v4 heartbeat seen from the client: the server pings every ping interval and the client
/// answers; a server silent for ping interval + ping timeout is gone (<see cref="DisconnectReason.PingTimeout"/>).
/// </summary>
internal sealed partial class EngineConnection
{
    private ITimer? _heartbeat;

    private TimeSpan HeartbeatDeadline => PingInterval + PingTimeout;

    private void StartHeartbeat() =>
        _heartbeat = _options.TimeProvider.CreateTimer(static state => ((EngineConnection)state!).Close(DisconnectReason.PingTimeout), this, HeartbeatDeadline, Timeout.InfiniteTimeSpan);

    private void OnPing() => _heartbeat?.Change(HeartbeatDeadline, Timeout.InfiniteTimeSpan);

    private void StopHeartbeat() => _heartbeat?.Dispose();
}
