using Microsoft.Extensions.Logging;
using Switchboard.Channels;

namespace Switchboard.AspNetCore.SocketChannels;

internal static partial class SocketChannelLog
{
    [LoggerMessage(410, LogLevel.Information, "Socket.IO connection {Sid} refused on {Namespace}: {Failure} token")]
    public static partial void ConnectRefused(ILogger logger, string sid, string @namespace, ChannelAuthFailure failure);

    [LoggerMessage(411, LogLevel.Information, "Socket {SocketId} {EventName} refused with {Code}: {Message}")]
    public static partial void Refused(ILogger logger, string socketId, string eventName, string code, string message);

    [LoggerMessage(412, LogLevel.Debug, "Socket {SocketId} subscribed to {Channel} at {Position} (continuous: {Continuous})")]
    public static partial void Subscribed(ILogger logger, string socketId, string channel, StreamPosition position, bool continuous);

    [LoggerMessage(413, LogLevel.Debug, "Socket {SocketId} published {EventName} to {Channel} at {Position}")]
    public static partial void Published(ILogger logger, string socketId, string eventName, string channel, StreamPosition position);

    [LoggerMessage(414, LogLevel.Error, "Socket {SocketId} {EventName} on {Channel} failed")]
    public static partial void Failed(ILogger logger, string socketId, string eventName, string channel, Exception exception);

    [LoggerMessage(415, LogLevel.Warning, "Socket {SocketId} {EventName} on {Channel} failed: the channel backend is unavailable ({Reason})")]
    public static partial void Unavailable(ILogger logger, string socketId, string eventName, string channel, string reason);

    [LoggerMessage(416, LogLevel.Information, "Namespace {Namespace}: channel {Channel}'s history changed under its members here; discontinuity sent, live from {Position}")]
    public static partial void DiscontinuitySent(ILogger logger, string @namespace, string channel, StreamPosition position);
}
