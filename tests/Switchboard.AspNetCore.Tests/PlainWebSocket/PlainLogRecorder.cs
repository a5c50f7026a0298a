using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// Records the plain WebSocket endpoint's log entries (every level), so tests can assert that bad input
/// was logged and await a server-side event without polling.
/// </summary>
public sealed class PlainLogRecorder : ILoggerProvider
{
    public const string Category = "Switchboard.PlainWebSocket";

    private readonly List<LogEntry> _entries = [];
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Found)> _waiters = [];

    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Logger(this) : NullLogger.Instance;

    /// <summary>Completes with the first entry (already recorded or still to come) that matches.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match)
    {
        lock (_entries)
        {
            foreach (var entry in _entries)
            {
                if (match(entry))
                {
                    return Task.FromResult(entry);
                }
            }
            var found = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, found));
            return found.Task;
        }
    }

    /// <summary>Waits for an entry about this connection (or any, when null) with this event id whose message contains <paramref name="text"/>.</summary>
    public Task<LogEntry> WaitForAsync(int eventId, string? connectionId, string text = "") =>
        WaitForAsync(e => e.EventId == eventId && (connectionId is null || e.Message.Contains(connectionId, StringComparison.Ordinal))
            && e.Message.Contains(text, StringComparison.Ordinal));

    private void Add(LogEntry entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
                {
                    _waiters[i].Found.TrySetResult(entry);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public void Dispose()
    {
    }

    private sealed class Logger(PlainLogRecorder owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(new LogEntry(logLevel, eventId.Id, formatter(state, exception)));
    }

    private sealed class NullLogger : ILogger
    {
        public static readonly NullLogger Instance = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => false;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}

public sealed record LogEntry(LogLevel Level, int EventId, string Message)
{
    public override string ToString() => $"{Level} [{EventId}] {Message}";
}

/// <summary>The endpoint's log event ids (PlainWebSocketLog).</summary>
public static class PlainLogEvents
{
    public const int Closed = 401;
    public const int Refused = 402;
    public const int InvalidFrame = 403;
    public const int RequestRefused = 404;
    public const int TooLarge = 405;
    public const int InvalidFrameFlood = 406;
    public const int SendTimedOut = 408;
    public const int Disconnecting = 409;
}
