using Microsoft.Extensions.Logging;

namespace Switchboard.AspNetCore.Transports.PlainWebSocket;

/// <summary>Log messages of the plain WebSocket endpoint (category <c>Switchboard.PlainWebSocket</c>).</summary>
internal static partial class PlainWebSocketLog
{
    public const string Category = "Switchboard.PlainWebSocket";

    [LoggerMessage(400, LogLevel.Debug, "Plain WebSocket {ConnectionId} connected to {Namespace}")]
    public static partial void Connected(ILogger logger, string connectionId, string @namespace);

    [LoggerMessage(401, LogLevel.Debug, "Plain WebSocket {ConnectionId} closed: {Reason}")]
    public static partial void Closed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(402, LogLevel.Information, "Plain WebSocket request to {Path} refused before the upgrade: {Status} {Code} ({Message})")]
    public static partial void Refused(ILogger logger, string path, int status, string code, string message);

    [LoggerMessage(403, LogLevel.Information, "Plain WebSocket {ConnectionId}: invalid frame, {Code}: {Message}")]
    public static partial void InvalidFrame(ILogger logger, string connectionId, string code, string message);

    [LoggerMessage(404, LogLevel.Information, "Plain WebSocket {ConnectionId}: {Op} on '{Channel}' refused, {Code}: {Message}")]
    public static partial void RequestRefused(ILogger logger, string connectionId, string op, string channel, string code, string message);

    [LoggerMessage(405, LogLevel.Information, "Plain WebSocket {ConnectionId}: message larger than {MaxMessageSize} bytes, connection closed (1009)")]
    public static partial void TooLarge(ILogger logger, string connectionId, int maxMessageSize);

    [LoggerMessage(406, LogLevel.Information, "Plain WebSocket {ConnectionId}: too many invalid frames, connection closed (1008)")]
    public static partial void InvalidFrameFlood(ILogger logger, string connectionId);

    [LoggerMessage(407, LogLevel.Error, "Plain WebSocket {ConnectionId}: {Op} on '{Channel}' failed")]
    public static partial void RequestFailed(ILogger logger, string connectionId, string op, string channel, Exception exception);

    [LoggerMessage(410, LogLevel.Error, "Plain WebSocket {ConnectionId}: unexpected failure, connection closed")]
    public static partial void ConnectionFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(408, LogLevel.Information, "Plain WebSocket {ConnectionId}: a send took longer than {Timeout}, connection aborted")]
    public static partial void SendTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

    [LoggerMessage(409, LogLevel.Information, "Plain WebSocket {ConnectionId}: disconnected by the server ({Code}: {Reason})")]
    public static partial void Disconnecting(ILogger logger, string connectionId, string code, string reason);
}
