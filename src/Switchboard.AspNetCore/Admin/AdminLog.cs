using Microsoft.Extensions.Logging;

namespace Switchboard.AspNetCore.Admin;

/// <summary>The log lines of the admin page, category <c>Switchboard.Admin</c>.</summary>
internal static partial class AdminLog
{
    public const string Category = "Switchboard.Admin";

    [LoggerMessage(500, LogLevel.Information, "Admin request {Method} {Path} refused with {Status} {Code} (from {Remote})")]
    public static partial void Refused(ILogger logger, string method, string path, int status, string code, string? remote);

    [LoggerMessage(501, LogLevel.Information, "Admin published '{Event}' to channel {Channel} of {Namespace} (seq {Seq}, from {Remote})")]
    public static partial void Published(ILogger logger, string @event, string channel, string @namespace, long seq, string? remote);

    [LoggerMessage(502, LogLevel.Information, "Admin disconnected connection {ConnectionId} of {Namespace} (from {Remote})")]
    public static partial void Disconnected(ILogger logger, string connectionId, string @namespace, string? remote);

    [LoggerMessage(503, LogLevel.Information, "Admin request refused with {Status} {Code}: {Message} (from {Remote})")]
    public static partial void BadRequest(ILogger logger, int status, string code, string message, string? remote);

    [LoggerMessage(504, LogLevel.Warning, "Admin snapshot could not list the cluster's nodes: {Reason}")]
    public static partial void NodesUnavailable(ILogger logger, string reason);
}
