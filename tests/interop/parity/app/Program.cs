// The parity app on Switchboard: the twin of tests/interop/parity/node-app.mjs (Node's socket.io 4.8),
// handler for handler, for tests/interop/parity.test.mjs. docs/conformance.md describes the suite.
//
// Two apps in one process, the same handlers: "main" (no connection state recovery) and "recovery"
// (recovery on); Switchboard has one SocketServer per app. Prints "parity-main <url>" and
// "parity-recovery <url>" once both listen. Start it with:
//   dotnet tests/interop/parity/app/bin/Release/net10.0/Switchboard.ParityServer.dll --urls http://127.0.0.1:0
using Switchboard.AspNetCore;
using Switchboard.ParityServer;

var main = ParityApp.Build(args, recovery: false);
var recovery = ParityApp.Build(args, recovery: true);
await main.StartAsync();
await recovery.StartAsync();
Console.WriteLine($"parity-main {main.Urls.First()}");
Console.WriteLine($"parity-recovery {recovery.Urls.First()}");
await Task.WhenAll(main.WaitForShutdownAsync(), recovery.WaitForShutdownAsync());

namespace Switchboard.ParityServer
{
    using Switchboard.SocketIO;

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
            return app;
        }
    }
}
