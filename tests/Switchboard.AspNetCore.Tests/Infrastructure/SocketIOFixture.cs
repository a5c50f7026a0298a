using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A Socket.IO server (AddSwitchboard + MapSocketIO) at <c>/socket.io</c>. Its main namespace and two
/// dynamic namespaces are configured in MapSocketIO; tests that need handlers of their own create a
/// fresh namespace with <see cref="NewNamespace"/> so they never see each other's sockets.
/// </summary>
public class SocketIOFixture : IAsyncLifetime
{
    private static int s_namespaces;

    public TestHost Host { get; private set; } = null!;

    public SocketServer Io => Host.Services.GetRequiredService<SocketServer>();

    protected virtual void ConfigureOptions(SocketServerOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(options =>
            {
                // Tests here emit bursts to clients that read them afterwards: far more than the default
                // byte budget of a session. The budget has tests of its own (EngineSlowConsumerTests).
                options.Engine.MaxQueuedBytes = 1L << 30;
                ConfigureOptions(options);
            }),
            app => app.MapSocketIO("/socket.io", Configure));
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>A namespace no other test uses.</summary>
    public Namespace NewNamespace(string prefix = "/t") => Io.Of($"{prefix}{Interlocked.Increment(ref s_namespaces)}");

    /// <summary>The server-side socket with this id (the sid of its CONNECT reply).</summary>
    public static Socket ServerSocket(Namespace nsp, string socketId)
    {
        Assert.True(nsp.Sockets.TryGetValue(socketId, out var socket), $"{nsp.Name} has no socket {socketId}.");
        return socket;
    }

    private static ValueTask AnswerWhere(SocketEvent e)
    {
        e.Ack(e.Socket.Namespace.Name, e.Socket.Data["created-by"]);
        return ValueTask.CompletedTask;
    }

    private static void Configure(SocketServer io)
    {
        // Main namespace: refuse on request, remember the user, answer "echo" and "whoami".
        io.Use((socket, next) =>
        {
            if (socket.Handshake.Auth.TryGetProperty("refuse", out _))
            {
                throw new SocketConnectException("msg", new { code = 42 });
            }
            if (socket.Handshake.Auth.TryGetProperty("user", out var user))
            {
                socket.Data["user"] = user.GetString();
            }
            return next();
        });
        io.OnConnection(socket =>
        {
            socket.On("echo", e => e.Ack(e.Args));
            socket.On("whoami", e => e.Ack(e.Socket.Data.TryGetValue("user", out var user) ? user : null));
        });

        io.Of(new Regex("^/dyn-\\d+$"))
            .OnConnection(socket => socket.Data["created-by"] = "regex")
            .On("where", AnswerWhere);

        io.Of((name, auth) => ValueTask.FromResult(
                name.StartsWith("/pred-", StringComparison.Ordinal)
                && auth.ValueKind == JsonValueKind.Object
                && auth.TryGetProperty("key", out var key)
                && key.GetString() == "open-sesame"))
            .OnConnection(socket => socket.Data["created-by"] = "predicate")
            .On("where", AnswerWhere);
    }
}

/// <summary>A Socket.IO server with a 200 ms heartbeat.</summary>
public sealed class FastHeartbeatSocketIOFixture : SocketIOFixture
{
    protected override void ConfigureOptions(SocketServerOptions options)
    {
        options.Engine.PingInterval = TimeSpan.FromMilliseconds(200);
        options.Engine.PingTimeout = TimeSpan.FromMilliseconds(200);
    }
}
