namespace Switchboard.Server.Chat;

internal static partial class ChatLog
{
    [LoggerMessage(1004, LogLevel.Debug, "Socket {SocketId} connected from {Address} (secure: {Secure})")]
    public static partial void Connected(this ILogger logger, string socketId, string? address, bool secure);

    [LoggerMessage(1000, LogLevel.Debug, "Socket {SocketId} joined chat room {Room} as {Nickname}")]
    public static partial void Joined(this ILogger logger, string socketId, string room, string nickname);

    [LoggerMessage(1001, LogLevel.Debug, "Socket {SocketId} sent an invalid {EventName}: {Code}")]
    public static partial void Rejected(this ILogger logger, string socketId, string eventName, string code);

    [LoggerMessage(1003, LogLevel.Information, "Socket {SocketId}: {EventName} refused, its grant does not cover channel {Channel}")]
    public static partial void Forbidden(this ILogger logger, string socketId, string eventName, string channel);

    [LoggerMessage(1002, LogLevel.Warning, "Broadcast of {EventName} failed")]
    public static partial void BroadcastFailed(this ILogger logger, string eventName, Exception exception);
}
