// The parity app on Switchboard: the twin of tests/interop/parity/node-app.mjs (Node's socket.io 4.8),
// handler for handler, for tests/interop/parity.test.mjs. docs/conformance.md describes the suite.
//
// Two apps in one process, the same handlers: "main" (no connection state recovery) and "recovery"
// (recovery on); Switchboard has one SocketServer per app. Prints "parity-main <url>" and
// "parity-recovery <url>" once both listen. Start it with:
//   dotnet tests/interop/parity/app/bin/Release/net10.0/Switchboard.ParityServer.dll --urls http://127.0.0.1:0
using Switchboard.ParityServer;

var main = ParityApp.Build(args, recovery: false);
var recovery = ParityApp.Build(args, recovery: true);
await main.StartAsync();
await recovery.StartAsync();
Console.WriteLine($"parity-main {main.Urls.First()}");
Console.WriteLine($"parity-recovery {recovery.Urls.First()}");
await Task.WhenAll(main.WaitForShutdownAsync(), recovery.WaitForShutdownAsync());
