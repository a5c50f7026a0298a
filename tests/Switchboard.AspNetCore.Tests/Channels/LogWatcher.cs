using Microsoft.Extensions.Logging;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>One log entry of the <c>Switchboard.Channels</c> category.</summary>
public sealed record LogEntry(int Index, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Properties)
{
    /// <summary>A value of the log message's template, e.g. <c>ConnectionId</c>; a list of strings (channels) joined with commas.</summary>
    public string? this[string name] => Properties.TryGetValue(name, out var value)
        ? value is not string && value is IEnumerable<string> list ? string.Join(',', list) : value?.ToString()
        : null;
}

/// <summary>
/// Keeps every entry of the channel endpoints' log category, Debug included, so tests can await a log
/// line (the signal that a connection was released) and assert that a refusal was logged.
/// </summary>
public sealed class LogWatcher : ILoggerProvider
{
    public const string Category = "Switchboard.Channels";

    private readonly List<LogEntry> _entries = [];
    private readonly List<(Func<LogEntry, bool> Match, int From, TaskCompletionSource<LogEntry> Seen)> _waiters = [];

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Logger(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>The index the next entry will get: pass it to <see cref="WhenLogged"/> to look only at what comes after.</summary>
    public int Mark()
    {
        lock (_entries)
        {
            return _entries.Count;
        }
    }

    /// <summary>Completes with the first entry from <paramref name="from"/> on that matches (already logged, or logged later).</summary>
    public Task<LogEntry> WhenLogged(Func<LogEntry, bool> match, int from = 0)
    {
        lock (_entries)
        {
            foreach (var entry in _entries.Skip(from))
            {
                if (match(entry))
                {
                    return Task.FromResult(entry);
                }
            }
            var seen = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, from, seen));
            return seen.Task.WaitAsync(Timeouts.Default);
        }
    }

    /// <summary>Awaits the refusal log line (event 300) naming this status and code, logged after <paramref name="from"/>.</summary>
    public Task<LogEntry> WhenRefused(int status, string code, int from) =>
        WhenLogged(e => e.EventId.Id == 300 && e.Message.Contains($" {status} {code}:", StringComparison.Ordinal), from);

    public void Dispose()
    {
    }

    /// <summary>Awaits the "held" line of a long poll on these channels (event 311) logged after <paramref name="from"/>; returns its connection id.</summary>
    public async Task<string> WhenPollHeld(string channels, int from)
    {
        var entry = await WhenLogged(e => e.EventId.Id == 311 && e["Channels"] == channels, from);
        return entry["ConnectionId"]!;
    }

    private void Add(LogLevel level, EventId eventId, string message, IReadOnlyDictionary<string, object?> properties)
    {
        lock (_entries)
        {
            var entry = new LogEntry(_entries.Count, level, eventId, message, properties);
            _entries.Add(entry);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (entry.Index >= _waiters[i].From && _waiters[i].Match(entry))
                {
                    _waiters[i].Seen.TrySetResult(entry);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    private sealed class Logger(LogWatcher owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(logLevel, eventId, formatter(state, exception),
                state is IEnumerable<KeyValuePair<string, object?>> values ? values.ToDictionary(v => v.Key, v => v.Value) : new Dictionary<string, object?>());
    }
}
