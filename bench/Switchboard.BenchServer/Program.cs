using StackExchange.Redis;
using Switchboard.AspNetCore;
using Switchboard.Cluster;
using Switchboard.Bench;
using Switchboard.Redis;
using OpenTelemetry.Metrics;
using Switchboard.SocketIO;

// The bench app on Switchboard: namespace "/" with join(room, ack), publish(room, payload) and
// echo(payload, ack), as namespace-level handlers (no per-socket registration), and the rooms of "/"
// as Server-Sent Events at /sse?channel=ROOM and the channel long-poll at /poll?channel=ROOM (a room
// emit reaches them too). Default options (ping
// interval 25 s, ping timeout 20 s), like the socket.io peer. Usage: Switchboard.BenchServer [port]
// (default 5200).
// As the standalone server, the Engine.IO WebSocket handshakes are answered on the connection itself
// (UseSwitchboardWebSockets, docs/decisions/0015-own-the-connection.md) unless --Switchboard:DirectWebSockets=false
// (or Switchboard__DirectWebSockets=false): then they take Kestrel's path (the "switchboard-kestrel" server of LoadGen).
var direct = !(args.Any(a => a.Equals("--Switchboard:DirectWebSockets=false", StringComparison.OrdinalIgnoreCase))
    || string.Equals(Environment.GetEnvironmentVariable("Switchboard__DirectWebSockets"), "false", StringComparison.OrdinalIgnoreCase));
var builder = BenchHosting.CreateBuilder(args, 5200, direct ? listen => listen.UseSwitchboardWebSockets() : null);
// Engine options may be overridden for experiments, e.g. --Switchboard:Engine:PingInterval=00:00:01
// (docs/performance.md profiles idle connections that way: heartbeats become nearly all the work).
// With --Switchboard:Redis=HOST:PORT the node joins a cluster on that Redis (S6, docs/cluster.md).
var redisEndpoint = builder.Configuration["Switchboard:Redis"];
RedisClusterBus? bus = null;
if (!string.IsNullOrEmpty(redisEndpoint))
{
    var redis = ConnectionMultiplexer.Connect(RedisChannelStore.ParseConfiguration(redisEndpoint));
    bus = new RedisClusterBus(redis);
}
var switchboard = builder.Services.AddSwitchboard(options =>
{
    builder.Configuration.GetSection("Switchboard:Engine").Bind(options.Engine);
    // Every load generator connection comes from one address (S1 holds 10k, S5 opens 10k at once), and
    // the scenarios measure throughput, not protection: the per-address limits are off and the event rate
    // is out of reach, while its accounting still runs on every packet (docs/protection.md).
    options.Limits.MaxConnectionsPerIp = 0;
    options.Limits.HandshakesPerSecondPerIp = 0;
    options.Limits.EventsPerSecond = 10_000_000;
    options.Limits.EventBurst = 10_000_000;
    options.Limits.EventBytesPerSecond = 10_000_000_000;
    builder.Configuration.GetSection("Switchboard:Limits").Bind(options.Limits);
});
if (bus is not null)
{
    switchboard.AddCluster(bus);
}

// With Switchboard:Telemetry=prometheus (e.g. --server-env Switchboard__Telemetry=prometheus) an
// OpenTelemetry MeterProvider listens to Switchboard's, ASP.NET Core's and the runtime's meters, as in
// the standalone server, and serves /metrics: the "metrics on" side of docs/performance.md's Metrics.
// "switchboard" listens to Switchboard's meter alone, "platform" to the others alone: the split of the cost.
var telemetryMode = builder.Configuration["Switchboard:Telemetry"];
var telemetry = telemetryMode is "prometheus" or "switchboard" or "platform";
if (telemetry)
{
    builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
    {
        if (telemetryMode != "platform")
        {
            metrics.AddMeter(Switchboard.Diagnostics.SwitchboardMetrics.MeterName);
        }
        if (telemetryMode != "switchboard")
        {
            metrics.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Routing", "System.Runtime");
        }
        metrics.AddPrometheusExporter();
    });
}

var app = builder.Build();
if (telemetry)
{
    app.UseOpenTelemetryPrometheusScrapingEndpoint();
}
if (telemetryMode == "toggle")
{
    var toggle = new Switchboard.Bench.Server.TelemetryToggle();
    string[] meters = [Switchboard.Diagnostics.SwitchboardMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Routing", "System.Runtime"];
    app.MapPost("/bench/telemetry/{state}", (string state) =>
    {
        toggle.Set(state == "on", meters);
        return Results.Text(toggle.On ? "on" : "off");
    });
    app.Lifetime.ApplicationStopping.Register(toggle.Dispose);
}
app.MapSocketIO("/socket.io", io =>
{
    io.Main.On("join", e =>
    {
        e.Socket.Join(e.Arg<string>(0)!);
        e.Ack("ok");
    });
    // The payload travels as its JSON element: written back as it came, encoded once for the room.
    io.Main.On("publish", e => io.To(e.Arg<string>(0)!).EmitAsync("msg", e.Args[1]));
    // The arguments are spliced back byte for byte.
    io.Main.On("echo", e => e.Ack(e.Args));
});
app.MapServerSentEvents("/sse");
// The same rooms over the channel long-poll (S8-longpoll): GET /poll?channel=ROOM&cursor=…
app.MapLongPoll("/poll");
app.MapDebugStats(typeof(SocketServer).Assembly);
if (bus is not null)
{
    await bus.Ready.WaitAsync(TimeSpan.FromSeconds(30));
}
app.RunUntilStopped();
