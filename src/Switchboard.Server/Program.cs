// The standalone Switchboard server. Every client reaches the same channels of the main namespace:
//   /socket.io  Socket.IO (the demo chat at /, and the subscribe / unsubscribe / publish channel events)
//   /sse        Server-Sent Events          /ws   the plain WebSocket protocol
//   /poll       HTTP long-poll              /api  the HTTP API for backends (when API keys are configured)
// and the demo pages /ticker.html, /stream.html and /cursors.html. Configuration comes from appsettings.json,
// environment variables and the command line, all under "Switchboard": the section itself binds onto
// SocketServerOptions (e.g. Switchboard__Engine__PingInterval or --Switchboard:ConnectTimeout=00:00:10),
// Switchboard:WebSocket binds onto the plain WebSocket endpoint's options (e.g. its PerMessageDeflate),
// Switchboard:Sse and Switchboard:LongPoll onto those of /sse (e.g. HeartbeatInterval) and /poll (e.g. MaxTimeout),
// Switchboard:Auth holds the token settings (docs/auth.md), Switchboard:Api:Keys the HTTP API's keys,
// Switchboard:Cors:Origins the other origins allowed to connect, Switchboard:Demos the demos',
// Switchboard:Limits the connection and rate limits (docs/protection.md), Switchboard:ForwardedHeaders
// the proxies trusted besides loopback, whose X-Forwarded-* give the client's address, scheme and host,
// Switchboard:PathBase a prefix the server also answers under (docs/proxies.md), Switchboard:Parser the Socket.IO
// parser every client must use (json, the default, or msgpack for socket.io-msgpack-parser; docs/parsers.md). It listens
// on http://127.0.0.1:8080 unless an address is configured. With Switchboard:Redis:Configuration set,
// the node joins a cluster over Redis (docs/cluster.md). Metrics are scraped at /metrics (Switchboard:Telemetry, docs/metrics.md).
// Switchboard:DirectWebSockets=true answers Socket.IO's WebSocket handshakes on the connection itself (docs/deploy.md).
using Switchboard.AspNetCore;
using Switchboard.AspNetCore.Auth;
using Switchboard.AspNetCore.SocketChannels;
using Switchboard.Server.Chat;
using Switchboard.Server.Demos;
using Switchboard.Server.Hosting;
using Switchboard.SocketIO;

var builder = WebApplication.CreateBuilder(ContentRoot.BuilderOptions(args));
builder.AddOperations();
builder.UseDefaultListenAddress();

var settings = builder.Configuration.GetSection("Switchboard");
var switchboard = builder.Services.AddSwitchboard();
builder.Services.Configure<SocketServerOptions>(settings);
builder.AllowTimeToDrain(); // Switchboard:Drain: connections closed over a window on shutdown (docs/drain.md)
builder.Services.AddSwitchboardJwt(settings.GetSection("Auth"));
builder.AddRedisCluster(switchboard, settings.GetSection("Redis"));
var origins = builder.AddOriginPolicy(settings.GetSection("Cors"));
builder.AddTrustedProxies(settings.GetSection("ForwardedHeaders"));
var apiKeys = ConfiguredList.Read(settings.GetSection("Api:Keys"));
builder.Services.AddSingleton<ChatApp>();
builder.AddDemos();
builder.AddTelemetry(settings.GetSection("Telemetry"));
builder.AddDirectWebSockets(settings); // Switchboard:DirectWebSockets: WebSocket handshakes answered on the connection (docs/deploy.md)

var app = builder.Build();
app.MapOperations();

// First, so the connection limits (Switchboard:Limits) count the client's address, not the proxy's, and
// every endpoint also answers under Switchboard:PathBase (docs/proxies.md).
app.UseForwardedHeadersAndPathBase(settings["PathBase"]);
app.UseOriginPolicy(origins);
app.UseDefaultFiles();
app.UseStaticFiles();

var chat = app.Services.GetRequiredService<ChatApp>();
app.MapSocketIO("/socket.io", io =>
{
    chat.Attach(io.Main);
    io.UseChannelEvents(app.Services);
}).RequireOriginPolicy(origins);
app.MapServerSentEvents("/sse", configure: o => settings.GetSection("Sse").Bind(o)).RequireOriginPolicy(origins);
app.MapLongPoll("/poll", configure: o => settings.GetSection("LongPoll").Bind(o)).RequireOriginPolicy(origins);
app.MapChannelWebSocket("/ws", configure: o => settings.GetSection("WebSocket").Bind(o)).RequireWebSocketOrigin();
if (apiKeys.Length > 0)
{
    app.MapChannelApi("/api", api => api.ApiKeys = apiKeys);
}
else
{
    app.Logger.LogInformation("The HTTP API (/api) is off: no key in Switchboard:Api:Keys");
}
app.MapDemos();
app.MapAdminPage(settings.GetSection("Admin"));

app.Run();
