using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Switchboard.Testing;

/// <summary>Keeps every log entry at <see cref="LogLevel.Error"/> or above, so tests can fail on unexpected errors.</summary>
public sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _errors = new();

    public IReadOnlyCollection<string> Errors => _errors;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Fails when an error was logged since the last call; forgets what it reported.</summary>
    public void AssertNoErrors()
    {
        var errors = new List<string>();
        while (_errors.TryDequeue(out var error))
        {
            errors.Add(error);
        }
        Assert.True(errors.Count == 0, "Unexpected error logs:\n" + string.Join("\n", errors));
    }

    /// <summary>Takes the errors logged so far (a test that expects an error takes it, so the dispose check passes).</summary>
    public IReadOnlyList<string> TakeErrors()
    {
        var errors = new List<string>();
        while (_errors.TryDequeue(out var error))
        {
            errors.Add(error);
        }
        return errors;
    }

    private sealed class Logger(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._errors.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
