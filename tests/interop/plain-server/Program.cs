// The server tests/interop/plain-websocket.test.mjs talks to with Node's `ws`: the plain WebSocket
// channel protocol (docs/protocols/websocket.md) at /ws on namespace /. Start it with:
//   dotnet tests/interop/plain-server/bin/Release/net10.0/Switchboard.PlainInteropServer.dll --urls http://127.0.0.1:0
// What the suite relies on:
//   tokens: "secret" may do anything, "reader" may only subscribe to news.*; no token, or another, gets 401;
//   channels named short.* keep 2 publications of history (others the default 100);
//   the server sends a WebSocket Ping every 200 ms and drops a client that does not answer within 2 s.
using Switchboard.AspNetCore;
using Switchboard.Channels;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSingleton<IChannelAuthorizer, InteropAuthorizer>();
builder.Services.AddSwitchboard(options =>
    options.Channels.History.Add(new ChannelHistoryRule { Pattern = "short.*", Size = 2 }));

var app = builder.Build();
app.MapChannelWebSocket("/ws", configure: options =>
{
    options.KeepAliveInterval = TimeSpan.FromMilliseconds(200);
    options.KeepAliveTimeout = TimeSpan.FromSeconds(2);
});
app.Run();

internal sealed class InteropAuthorizer : IChannelAuthorizer
{
    public ValueTask<ChannelAuthResult> AuthorizeAsync(string? token, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(token switch
        {
            null => ChannelAuthResult.Refuse(ChannelAuthFailure.Missing, "a token is required"),
            "secret" => ChannelAuthResult.Allow(ChannelGrant.All),
            "reader" => ChannelAuthResult.Allow(new ChannelGrant(["news.*"], [])),
            _ => ChannelAuthResult.Refuse(ChannelAuthFailure.Invalid, "unknown token"),
        });
}
