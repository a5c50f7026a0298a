using Microsoft.Extensions.Logging;

namespace Switchboard.Client.Channels;

internal static partial class ChannelLog
{
    [LoggerMessage(100, LogLevel.Debug, "Channels: connected over {Transport} (connection {ConnectionId})")]
    public static partial void ChannelConnected(this ILogger logger, ChannelTransport transport, string? connectionId);

    [LoggerMessage(101, LogLevel.Information, "Channels: {Transport} failed ({Code}: {Message}); {Next}")]
    public static partial void ChannelTransportFailed(this ILogger logger, ChannelTransport transport, string code, string message, string next);

    [LoggerMessage(102, LogLevel.Information, "Channels: {Transport} dropped ({Code}: {Reason}); reconnect: {Reconnect}")]
    public static partial void ChannelDropped(this ILogger logger, ChannelTransport transport, string code, string? reason, bool reconnect);

    [LoggerMessage(103, LogLevel.Information, "Channels: reconnecting, attempt {Attempt} in {Delay}")]
    public static partial void ChannelReconnecting(this ILogger logger, int attempt, TimeSpan delay);

    [LoggerMessage(104, LogLevel.Warning, "Channels: closed by an error ({Code}: {Message})")]
    public static partial void ChannelClosedByError(this ILogger logger, string code, string message);

    [LoggerMessage(105, LogLevel.Warning, "Channels: the server sent something that could not be read on {Transport} ({Problem}); ignored")]
    public static partial void ChannelBadFrame(this ILogger logger, ChannelTransport transport, string problem);

    [LoggerMessage(106, LogLevel.Warning, "Channels: the subscription to '{Channel}' was refused ({Code}: {Message})")]
    public static partial void ChannelSubscriptionRefused(this ILogger logger, string channel, string code, string message);

    [LoggerMessage(107, LogLevel.Information, "Channels: '{Channel}' could not be continued from {Requested}; live from {Offset}.{Epoch}")]
    public static partial void ChannelDiscontinuity(this ILogger logger, string channel, string requested, long offset, string epoch);

    [LoggerMessage(108, LogLevel.Information, "Channels: asking for a new token ({Code})")]
    public static partial void ChannelTokenRefresh(this ILogger logger, string code);

    [LoggerMessage(109, LogLevel.Warning, "Channels: the token refresh callback failed")]
    public static partial void ChannelTokenRefreshFailed(this ILogger logger, Exception exception);

    [LoggerMessage(110, LogLevel.Error, "Channels: a handler of {Event} failed")]
    public static partial void ChannelHandlerFailed(this ILogger logger, string @event, Exception exception);

    [LoggerMessage(111, LogLevel.Error, "Channels: the connection loop failed")]
    public static partial void ChannelLoopFailed(this ILogger logger, Exception exception);
}
