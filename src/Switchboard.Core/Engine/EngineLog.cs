using Microsoft.Extensions.Logging;

namespace Switchboard.Engine;

internal sealed partial class EngineLog(ILogger logger)
{
    public ILogger Logger => logger;

    [LoggerMessage(1, LogLevel.Debug, "Engine.IO session {Sid} opened over {Transport}")]
    public partial void SessionOpened(string sid, EngineTransportKind transport);

    [LoggerMessage(2, LogLevel.Debug, "Engine.IO session {Sid} closed: {Reason}")]
    public partial void SessionClosed(string sid, Protocols.DisconnectCode reason);

    [LoggerMessage(3, LogLevel.Error, "Handler of Engine.IO session {Sid} failed")]
    public partial void HandlerFailed(string sid, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Engine.IO session {Sid} sent a ping; in protocol v4 only the server pings")]
    public partial void InvalidHeartbeatDirection(string sid);

    [LoggerMessage(5, LogLevel.Information, "Engine.IO session {Sid} is a slow consumer: {Bytes} bytes queued would pass the budget of {Budget}; connection dropped")]
    public partial void OverBudget(string sid, long bytes, long budget);

    [LoggerMessage(6, LogLevel.Information, "Engine.IO session {Sid} is a slow consumer: a write took longer than {Timeout}; connection dropped")]
    public partial void SendTimedOut(string sid, TimeSpan timeout);

    [LoggerMessage(7, LogLevel.Error, "A handler of the Engine.IO {Event} event failed")]
    public partial void EventHandlerFailed(string @event, Exception exception);
}
