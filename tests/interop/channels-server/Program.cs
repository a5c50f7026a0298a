// The channels interop app: the HTTP channel protocols over the main namespace, for
// tests/interop/sse.test.mjs (EventSource from the `eventsource` npm package, socket.io-client).
//   /sse         Server-Sent Events (retry 200 ms, so a dropped EventSource comes back quickly)
//   /poll        long-poll
//   /api         HTTP API, key "interop-key" (or $CHANNELS_API_KEY)
//   /socket.io   Socket.IO; `to-room` (room, payload) emits `room-message` to the room, acks "ok"
// Channels named small-* keep 3 publications of history. Start it with:
//   dotnet tests/interop/channels-server/bin/Release/net10.0/Switchboard.ChannelsInteropServer.dll --urls http://127.0.0.1:0
using Switchboard.AspNetCore;
using Switchboard.Channels;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSwitchboard(options =>
    options.Channels.History.Add(new ChannelHistoryRule { Pattern = "small-*", Size = 3 }));

var app = builder.Build();

app.MapSocketIO("/socket.io", io => io.Main.On("to-room", async e =>
{
    await io.To(e.Arg<string>(0)!).EmitAsync("room-message", e.Args[1]);
    e.Ack("ok");
}));
app.MapServerSentEvents("/sse", configure: options =>
{
    options.RetryInterval = TimeSpan.FromMilliseconds(200);
    options.HeartbeatInterval = TimeSpan.FromSeconds(5);
});
app.MapLongPoll("/poll");
app.MapChannelApi("/api", options => options.ApiKeys = [Environment.GetEnvironmentVariable("CHANNELS_API_KEY") ?? "interop-key"]);

app.Run();
