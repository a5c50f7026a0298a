namespace Switchboard.AspNetCore.Shared;

/// <summary>
/// What lets the one write loop (<see cref="WebSocketWriter"/>) send a batch of messages as one write to the
/// connection: <see cref="GatheringStream"/> under a System.Net WebSocket, or the direct mode's socket over
/// Kestrel's pipe (<see cref="Transports.Direct.PipeWebSocket"/>), which writes every frame into the pipe and
/// flushes once per batch.
/// </summary>
internal interface IWriteBatching
{
    /// <summary>From now on, writes are held until the one after <see cref="ReleaseWithNextWrite"/>.</summary>
    void Gather();

    /// <summary>The next write is the batch's last: it goes out together with everything held.</summary>
    void ReleaseWithNextWrite();
}
