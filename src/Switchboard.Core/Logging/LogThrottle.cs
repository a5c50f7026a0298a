using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Switchboard.Logging;

/// <summary>
/// Keeps refusal log lines (bad input, unknown sessions, refused tokens) from flooding the log: at most
/// one line per kind per <see cref="Interval"/>. The first line of a kind is written at once; the ones
/// that follow within the interval are counted, and the next line written for that kind is preceded by
/// one saying how many were left out (event 90, same category). A kind is a fixed name chosen by the
/// code that logs (an event and its code), never text from a client, so the table stays small.
/// </summary>
public sealed partial class LogThrottle
{
    /// <summary>The default interval: one line per kind of refusal per 10 seconds.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;

    /// <summary>A throttle that lets one line per kind through per <paramref name="interval"/>.</summary>
    /// <param name="interval">At most one line per kind in this time; zero (or less) logs every line.</param>
    /// <param name="time">The clock; the system clock when null.</param>
    public LogThrottle(TimeSpan interval, TimeProvider? time = null)
    {
        Interval = interval;
        _time = time ?? TimeProvider.System;
        _intervalTicks = interval <= TimeSpan.Zero ? 0 : (long)(interval.TotalSeconds * _time.TimestampFrequency);
    }

    /// <summary>Logs every line: for tests that await each refusal's log line.</summary>
    public static LogThrottle None { get; } = new(TimeSpan.Zero);

    /// <summary>At most one line per kind in this time.</summary>
    public TimeSpan Interval { get; }

    /// <summary>
    /// Whether a line of <paramref name="kind"/> may be written to <paramref name="logger"/> now. When it may
    /// and earlier lines of the kind were left out, a line counting them is written first.
    /// </summary>
    public bool ShouldLog(ILogger logger, string kind, LogLevel level = LogLevel.Information)
    {
        if (_intervalTicks == 0)
        {
            return logger.IsEnabled(level);
        }
        if (!logger.IsEnabled(level))
        {
            return false;
        }
        var now = _time.GetTimestamp();
        var window = _windows.GetOrAdd(kind, static _ => new Window());
        int suppressed;
        lock (window)
        {
            if (window.Started && now - window.Start < _intervalTicks)
            {
                window.Suppressed++;
                return false;
            }
            suppressed = window.Suppressed;
            window.Start = now;
            window.Started = true;
            window.Suppressed = 0;
        }
        if (suppressed > 0)
        {
            Suppressed(logger, suppressed, kind, Interval);
        }
        return true;
    }

    [LoggerMessage(90, LogLevel.Information, "{Count} more '{Kind}' lines were left out (at most one per {Interval})")]
    private static partial void Suppressed(ILogger logger, int count, string kind, TimeSpan interval);

    private sealed class Window
    {
        public long Start;
        public bool Started;
        public int Suppressed;
    }
}
