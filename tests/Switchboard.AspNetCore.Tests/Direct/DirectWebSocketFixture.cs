using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Transports.Direct;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.Direct;

/// <summary>
/// A Kestrel whose endpoint runs the direct WebSocket mode (UseSwitchboardWebSockets) in front of echoing
/// Engine.IO endpoints: <c>/engine.io</c> (default MaxPayload), <c>/small</c> (64 bytes), <c>/health</c>, and
/// Socket.IO at <c>/socket.io</c>, whose event <c>bcast</c> broadcasts <c>news</c> to every socket, and the plain
/// WebSocket protocol at <c>/ws</c> (tokens of <see cref="PlainWebSocket.TestChannelAuthorizer"/>, keep-alive 200 ms).
/// Origins other than the host's and <c>http://allowed.example</c> are refused; the handshake timeout is 1 s.
/// </summary>
public sealed class DirectWebSocketFixture : IAsyncLifetime
{
    public const int SmallMaxPayload = 64;
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The plain WebSocket endpoint <c>/ws</c> pings this often and drops a client silent for twice as long.</summary>
    public static readonly TimeSpan PlainKeepAlive = TimeSpan.FromMilliseconds(200);

    public TestHost Host { get; private set; } = null!;

    public ConcurrentQueue<(int EventId, string Message)> Logs { get; } = new();

    public ConcurrentDictionary<string, TaskCompletionSource<DisconnectCode>> Closed { get; } = new();

    /// <summary>How many handshakes the direct mode answered so far.</summary>
    public long Taken => Host.Services.GetRequiredService<DirectEndpoints>().Taken;

    public async Task InitializeAsync()
    {
        PipeWebSocket.CountPrebuilt = true;
        Host = await TestHost.StartAsync(
            builder =>
            {
                builder.Logging.AddProvider(new InfoLogs(Logs));
                builder.Services.AddSingleton<Switchboard.Channels.IChannelAuthorizer, PlainWebSocket.TestChannelAuthorizer>();
                builder.Services.AddSwitchboard();
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSwitchboardWebSockets(o =>
                {
                    o.HandshakeTimeout = HandshakeTimeout;
                    o.AllowedOrigins.Add("http://allowed.example");
                })));
            },
            app =>
            {
                app.MapGet("/health", () => "ok");
                app.MapChannelWebSocket("/ws", configure: o =>
                {
                    o.KeepAliveInterval = PlainKeepAlive;
                    o.KeepAliveTimeout = PlainKeepAlive * 2;
                });
                app.MapSocketIO("/socket.io", io => io.Main.On("bcast", async e => await io.EmitAsync("news", e.Args[0])));
                app.MapEngineIO("/engine.io", OnConnection);
                app.MapEngineIO("/small", OnConnection, o => o.MaxPayload = SmallMaxPayload);
            });
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    public Task<DisconnectCode> WhenClosed(string sid) => Closed.GetOrAdd(sid, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public bool Logged(int eventId, string contains) => Logs.Any(l => l.EventId == eventId && l.Message.Contains(contains, StringComparison.Ordinal));

    private void OnConnection(EngineSession session) => session.Handler = new Echo(this);

    private sealed class Echo(DirectWebSocketFixture fixture) : IEngineSessionHandler
    {
        public void OnMessage(EngineSession session, EnginePacket packet)
        {
            if (packet.IsBinary)
            {
                session.SendBinary(packet.Data.ToArray());
            }
            else if (packet.Data.Span.SequenceEqual("close"u8))
            {
                session.Close(DisconnectCode.Disconnected);
            }
            else
            {
                session.SendText(packet.Data.Span);
            }
        }

        public void OnClose(EngineSession session, DisconnectCode reason) =>
            fixture.Closed.GetOrAdd(session.Id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(reason);
    }

    private sealed class InfoLogs(ConcurrentQueue<(int, string)> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(logs);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(int, string)> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }
}
