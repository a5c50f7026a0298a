// The standalone Switchboard server: a Socket.IO endpoint at /socket.io and the demo chat page at /.
// Configuration comes from appsettings.json, environment variables and the command line: the
// "Switchboard" section binds onto SocketServerOptions (e.g. Switchboard__Engine__PingInterval or
// --Switchboard:ConnectTimeout=00:00:10), and Switchboard:Cors:Origins lists the other origins
// allowed to connect. It listens on http://127.0.0.1:8080 unless an address is configured.
using Switchboard.AspNetCore;
using Switchboard.Server.Chat;
using Switchboard.Server.Hosting;
using Switchboard.SocketIO;

var builder = WebApplication.CreateBuilder(args);
builder.UseDefaultListenAddress();

builder.Services.AddSwitchboard();
builder.Services.Configure<SocketServerOptions>(builder.Configuration.GetSection("Switchboard"));
var origins = builder.AddOriginPolicy(builder.Configuration.GetSection("Switchboard:Cors"));
builder.Services.AddSingleton<ChatApp>();

var app = builder.Build();

app.UseOriginPolicy(origins);
app.UseDefaultFiles();
app.UseStaticFiles();

var chat = app.Services.GetRequiredService<ChatApp>();
app.MapSocketIO("/socket.io", io => chat.Attach(io.Main)).RequireOriginPolicy(origins);

app.Run();
