using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Logging;

namespace Switchboard.AspNetCore.Shared;

/// <summary>The log lines of the channel endpoints (SSE, long-poll, HTTP API), category <c>Switchboard.Channels</c>.</summary>
internal static partial class ChannelEndpointLog
{
    public const string Category = "Switchboard.Channels";

    /// <summary>Whether a refusal of this endpoint, status and code may be logged now (one line per kind per interval).</summary>
    public static bool ShouldLogRefusal(HttpContext context, ILogger logger, string endpoint, int status, string code) =>
        Refusals(context).ShouldLog(logger, $"{endpoint} {status} {code}");

    /// <summary>The throttle of refusal log lines registered by AddSwitchboard; none (every line) without it.</summary>
    public static LogThrottle Refusals(HttpContext context) =>
        context.RequestServices.GetService<LogThrottle>() ?? LogThrottle.None;

    [LoggerMessage(300, LogLevel.Information, "{Endpoint} request refused with {Status} {Code}: {Message} (from {Remote})")]
    public static partial void RequestRefused(ILogger logger, string endpoint, int status, string code, string message, string? remote);

    [LoggerMessage(301, LogLevel.Information, "{Endpoint} connection {ConnectionId} gave a cursor that does not fit its {Count} channels; each channel is told of a discontinuity")]
    public static partial void MalformedCursor(ILogger logger, string endpoint, string connectionId, int count);

    [LoggerMessage(302, LogLevel.Debug, "SSE connection {ConnectionId} opened on {Channels} (resumed: {Resumed})")]
    public static partial void SseOpened(ILogger logger, string connectionId, IEnumerable<string> channels, bool resumed);

    [LoggerMessage(303, LogLevel.Debug, "SSE connection {ConnectionId} ended: {Reason}")]
    public static partial void SseEnded(ILogger logger, string connectionId, string reason);

    [LoggerMessage(304, LogLevel.Information, "{Protocol} connection {ConnectionId} is a slow consumer ({Queued} bytes waiting, budget {Budget}, or a write past the send timeout); disconnected")]
    public static partial void SlowConsumer(ILogger logger, string protocol, string connectionId, long queued, long budget);

    [LoggerMessage(310, LogLevel.Debug, "Long poll {ConnectionId} on {Channels} answered with {Publications} publications and {Discontinuities} discontinuities")]
    public static partial void PollAnswered(ILogger logger, string connectionId, IEnumerable<string> channels, int publications, int discontinuities);

    [LoggerMessage(312, LogLevel.Debug, "Long poll {ConnectionId} on {Channels} ended unanswered: the client went away")]
    public static partial void PollAbandoned(ILogger logger, string connectionId, IEnumerable<string> channels);

    [LoggerMessage(311, LogLevel.Debug, "Long poll {ConnectionId} on {Channels} held for up to {Timeout}")]
    public static partial void PollHeld(ILogger logger, string connectionId, IEnumerable<string> channels, TimeSpan timeout);

    [LoggerMessage(320, LogLevel.Debug, "HTTP API published {Event} to {Channels} as seq {Seq}")]
    public static partial void Published(ILogger logger, string @event, IEnumerable<string> channels, long seq);

    [LoggerMessage(321, LogLevel.Debug, "HTTP API publish with idempotency key {Key} answered with the first result")]
    public static partial void IdempotentReplay(ILogger logger, string key);

    [LoggerMessage(322, LogLevel.Information, "HTTP API disconnected connection {ConnectionId}")]
    public static partial void Disconnected(ILogger logger, string connectionId);

    [LoggerMessage(323, LogLevel.Warning, "HTTP API publish to {Channels} answered 503: the channel backend is unavailable ({Reason})")]
    public static partial void PublishUnavailable(ILogger logger, IEnumerable<string> channels, string reason);
}
