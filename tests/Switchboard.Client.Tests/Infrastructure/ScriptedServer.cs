using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Client.Tests.Infrastructure;

/// <summary>
/// An Engine.IO endpoint that follows a script instead of the protocol, for what no real server does:
/// stop pinging, or send bytes that are not a packet. It answers the handshake (ping interval and timeout
/// 100 ms unless given) and the main namespace's CONNECT, then runs the script.
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScriptedServer(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    public Uri Uri { get; }

    /// <summary>Texts the client sent, in order.</summary>
    public List<string> Received { get; } = [];

    public static async Task<ScriptedServer> StartAsync(Func<WebSocket, ScriptedServer, Task> afterConnect, int pingIntervalMs = 100, int pingTimeoutMs = 100)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets();
        ScriptedServer? self = null;
        app.Map("/socket.io/", async (HttpContext context) =>
        {
            using var ws = await context.WebSockets.AcceptWebSocketAsync();
            await SendAsync(ws, $$"""0{"sid":"scripted","upgrades":[],"pingInterval":{{pingIntervalMs}},"pingTimeout":{{pingTimeoutMs}},"maxPayload":1000000}""");
            var connect = await self!.ReceiveAsync(ws);
            if (connect == "40")
            {
                await SendAsync(ws, """40{"sid":"s1"}""");
                await afterConnect(ws, self);
            }
            // Hold the connection until the client leaves.
            while (ws.State == WebSocketState.Open && await self.ReceiveAsync(ws) is not null)
            {
            }
        });
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        self = new ScriptedServer(app, new Uri(address + "/"));
        return self;
    }

    public static Task SendAsync(WebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public async Task<string?> ReceiveAsync(WebSocket ws)
    {
        var buffer = new byte[4096];
        try
        {
            var result = await ws.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
            lock (Received)
            {
                Received.Add(text);
            }
            return text;
        }
        catch (WebSocketException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await _app.DisposeAsync();
    }
}

/// <summary>Collects the client's log lines.</summary>
public sealed class ListLogger : ILogger
{
    public List<(LogLevel Level, string Message)> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Lines)
        {
            Lines.Add((logLevel, formatter(state, exception)));
        }
    }
}
