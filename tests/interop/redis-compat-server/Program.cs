// The Switchboard node tests/interop/redis-adapter.test.mjs runs next to the standalone server: it joins
// the same Redis cluster through the library API (RedisClusterBus wrapped by WithSocketIORedisAdapter, given
// to AddSwitchboard().AddCluster), while the standalone server uses AddRedis().AddRedisAdapterCompat(),
// so the suite covers both ways of turning the compatibility mode on. Start it with:
//   dotnet tests/interop/redis-compat-server/bin/Release/net10.0/Switchboard.RedisCompatInteropServer.dll \
//     --urls http://127.0.0.1:0 --Redis=127.0.0.1:6379
// Socket.IO at /socket.io, namespace /; what the suite relies on:
//   "join"(room, ack)               joins the room, then acks;
//   "target"({rooms, except, event}, ack)  remembers where "relay" sends, then acks;
//   "relay"(...args, ack)           emits `event` with these very arguments (binary included) to the
//                                   remembered rooms minus the except rooms, then acks;
//   "rooms"(ack)                    acks with the socket's rooms;
//   server-side emit "ping"(text)   answers "pong <text>".
using System.Text.Json;
using Switchboard.AspNetCore;
using Switchboard.Cluster;
using Switchboard.Redis;
using Switchboard.Redis.Compat;
using Switchboard.SocketIO;

var builder = WebApplication.CreateBuilder(args);
var configuration = builder.Configuration["Redis"] ?? throw new InvalidOperationException("--Redis=host:port is required.");
var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(RedisChannelStore.ParseConfiguration(configuration));
await using var bus = new RedisClusterBus(redis, new RedisClusterOptions { Store = new RedisChannelStoreOptions { KeyPrefix = "sb:" } });
await using var bridge = bus.WithSocketIORedisAdapter();
builder.Services.AddSwitchboard().AddCluster(bridge);

var app = builder.Build();
app.MapSocketIO("/socket.io", io =>
{
    bridge.ServeRequests(io);
    io.Main.OnServerSideEmit("ping", a => ValueTask.FromResult<object?>($"pong {a.Get<string>(0)}"));
    io.OnConnection(socket =>
    {
        socket.On("join", e =>
        {
            socket.Join(e.Arg<string>(0)!);
            e.Ack();
        });
        socket.On("target", e =>
        {
            socket.Data["target"] = e.Arg<Target>(0);
            e.Ack();
        });
        socket.On("relay", async e =>
        {
            var target = (Target)socket.Data["target"]!;
            await io.To(target.Rooms).Except(target.Except ?? []).EmitAsync(target.Event, e.Args);
            e.Ack();
        });
        socket.On("rooms", e => e.Ack(socket.Rooms));
    });
});
await app.StartAsync();
await bus.Ready.WaitAsync(TimeSpan.FromSeconds(20));
await bridge.Ready.WaitAsync(TimeSpan.FromSeconds(20));
app.Logger.LogInformation("Cluster node {Node} is ready", bus.NodeId);
await app.WaitForShutdownAsync();

internal sealed record Target(string[] Rooms, string[]? Except, string Event);
