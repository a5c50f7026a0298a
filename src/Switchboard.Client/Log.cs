using Microsoft.Extensions.Logging;

namespace Switchboard.Client;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Connected to {Uri} (Engine.IO session {Sid})")]
    public static partial void EngineOpened(this ILogger logger, Uri uri, string sid);

    [LoggerMessage(2, LogLevel.Information, "Connection to {Uri} failed")]
    public static partial void EngineOpenFailed(this ILogger logger, Uri uri, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "Connection closed: {Reason}")]
    public static partial void EngineClosed(this ILogger logger, string reason);

    [LoggerMessage(4, LogLevel.Warning, "The server sent a packet that could not be parsed ({Error}); closing the connection")]
    public static partial void ParseError(this ILogger logger, string error);

    [LoggerMessage(5, LogLevel.Error, "A handler of event '{EventName}' on namespace {Namespace} failed")]
    public static partial void HandlerFailed(this ILogger logger, string eventName, string @namespace, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Reconnecting: attempt {Attempt} in {Delay}")]
    public static partial void Reconnecting(this ILogger logger, int attempt, TimeSpan delay);

    [LoggerMessage(7, LogLevel.Warning, "Gave up reconnecting after {Attempts} attempt(s)")]
    public static partial void ReconnectFailed(this ILogger logger, int attempts);

    [LoggerMessage(8, LogLevel.Debug, "Acknowledgement {AckId} on namespace {Namespace} matches no emit")]
    public static partial void UnknownAck(this ILogger logger, long ackId, string @namespace);

    [LoggerMessage(9, LogLevel.Warning, "Namespace {Namespace} refused the connection: {Message}")]
    public static partial void ConnectRefused(this ILogger logger, string @namespace, string message);

    [LoggerMessage(10, LogLevel.Error, "The connection loop failed")]
    public static partial void LoopFailed(this ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Debug, "Engine.IO session {Sid} upgraded to WebSocket")]
    public static partial void EngineUpgraded(this ILogger logger, string sid);

    [LoggerMessage(12, LogLevel.Information, "Engine.IO session {Sid}: the upgrade to WebSocket failed")]
    public static partial void UpgradeFailed(this ILogger logger, string sid, Exception? exception);
}
