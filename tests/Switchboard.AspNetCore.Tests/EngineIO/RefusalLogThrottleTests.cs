using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Logging;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>
/// A flood of bad requests writes a couple of log lines, not one per request: each kind of refusal is
/// logged at most once per <see cref="Switchboard.Engine.EngineOptions.RefusalLogInterval"/> (10 s by
/// default), and the next line of the kind after the interval is preceded by the count of those left out.
/// </summary>
public sealed class RefusalLogThrottleTests : IAsyncLifetime
{
    private const int Flood = 200;
    private readonly ManualTimeProvider _time = new();
    private readonly LineCapture _lines = new();
    private TestHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton<TimeProvider>(_time);
                builder.Services.AddSwitchboard();
                builder.Logging.AddProvider(_lines);
            },
            app =>
            {
                app.MapSocketIO("/socket.io");
                app.MapServerSentEvents("/sse");
            });
        _http = new HttpClient { BaseAddress = _host.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _host.Logs.AssertNoErrors();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_flood_of_unknown_sessions_is_logged_once_then_counted_after_the_interval()
    {
        for (var i = 0; i < Flood; i++)
        {
            using var refused = await _http.GetAsync($"/socket.io/?EIO=4&transport=polling&sid=nope{i}").Within();
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        Assert.Single(_lines.Of(eventId: 10));

        _time.Jump(LogThrottle.DefaultInterval);
        using var next = await _http.GetAsync("/socket.io/?EIO=4&transport=polling&sid=last").Within();

        Assert.Equal(2, _lines.Of(eventId: 10).Count);
        var summary = Assert.Single(_lines.Of(eventId: 90));
        Assert.Contains($"{Flood - 1} more 'engine.io refused UnknownSid' lines were left out", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_kind_is_throttled_on_its_own()
    {
        for (var i = 0; i < Flood; i++)
        {
            using var badChannel = await _http.GetAsync($"/sse?channel=a%0A{i}").Within();
            Assert.Equal(HttpStatusCode.BadRequest, badChannel.StatusCode);
            using var badEio = await _http.GetAsync("/socket.io/?EIO=3&transport=polling").Within();
            Assert.Equal(HttpStatusCode.BadRequest, badEio.StatusCode);
        }

        var channelLine = Assert.Single(_lines.Of(eventId: 300));
        Assert.Contains("400 invalid_channel", channelLine, StringComparison.Ordinal);
        Assert.Contains("UnsupportedProtocolVersion", Assert.Single(_lines.Of(eventId: 10)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flood_of_invalid_Socket_IO_packets_from_many_sessions_is_logged_once()
    {
        for (var i = 0; i < 50; i++)
        {
            using var client = new EnginePollingClient(_host.BaseAddress, "/socket.io");
            await client.HandshakeAsync();
            await client.PostAsync("4garbage");
        }

        var line = Assert.Single(_lines.Of(eventId: 105));
        Assert.Contains("sent an invalid Socket.IO packet", line, StringComparison.Ordinal);
    }

    /// <summary>Every Information line of Switchboard's categories, with its event id.</summary>
    private sealed class LineCapture : ILoggerProvider
    {
        private readonly ConcurrentQueue<(int EventId, string Message)> _lines = new();

        public IReadOnlyList<string> Of(int eventId) => [.. _lines.Where(l => l.EventId == eventId).Select(l => l.Message)];

        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("Switchboard", StringComparison.Ordinal) ? new Logger(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Logger(LineCapture owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._lines.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }
}
