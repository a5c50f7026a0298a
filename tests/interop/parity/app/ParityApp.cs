using Switchboard.AspNetCore;
using Switchboard.SocketIO;

namespace Switchboard.ParityServer;

/// <summary>One of the two apps of the process: the parity app, with connection state recovery or without.</summary>
internal static class ParityApp
{
    public static WebApplication Build(string[] args, bool recovery)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddSwitchboard(options =>
        {
            // The same numbers as the Node app's options.
            options.Engine.MaxPayload = 100_000;
            options.Engine.PingInterval = TimeSpan.FromSeconds(10);
            options.Engine.PingTimeout = TimeSpan.FromSeconds(5);
            // Node's socket.io has no rate limits: lift Switchboard's so they never take part.
            options.Limits.EventsPerSecond = 100_000;
            options.Limits.EventBurst = 100_000;
            options.Limits.EventBytesPerSecond = 100_000_000;
            options.Limits.EventBytesBurst = 100_000_000;
            options.Limits.HandshakesPerSecondPerIp = 100_000;
            options.Limits.HandshakeBurstPerIp = 100_000;
            options.Limits.MaxConnectionsPerIp = 100_000;
            if (recovery)
            {
                options.Recovery = new ConnectionStateRecoveryOptions
                {
                    MaxDisconnectionDuration = TimeSpan.FromMinutes(2),
                    SkipMiddlewares = true,
                };
            }
        });
        var app = builder.Build();
        app.MapSocketIO("/socket.io", ParityNamespaces.Configure);
        // The ids of every connected socket, as the Node app answers: the harness waits on it between scenarios.
        app.MapGet("/parity/socket-ids", (SocketServer io) => io.Namespaces.SelectMany(nsp => nsp.Sockets.Keys).ToArray());
        return app;
    }
}
