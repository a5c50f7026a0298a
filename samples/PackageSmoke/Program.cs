using System.Reflection;
using Switchboard.AspNetCore;
using Switchboard.Redis;
using Switchboard.SocketIO;

// A minimal app on the Switchboard packages: Socket.IO on /socket.io and Server-Sent Events on /sse.
// tests/pack/run.sh starts it on a loopback port and connects socket.io-client to it.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSwitchboard(options => options.Engine.PingInterval = TimeSpan.FromSeconds(10));

var app = builder.Build();

// Which package each assembly came from, so the client can tell a package from a project reference.
var versions = new[] { typeof(SocketServerOptions), typeof(SwitchboardServiceCollectionExtensions), typeof(RedisChannelStore) }
    .ToDictionary(
        t => t.Assembly.GetName().Name!,
        t => t.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?");

app.MapSocketIO("/socket.io", io =>
{
    io.OnConnection(socket =>
    {
        // The acknowledgement names the assemblies and echoes the argument.
        socket.On<string, object>("hello", name => ValueTask.FromResult<object>(new { hello = name, versions }));

        socket.On<string, string>("join", room =>
        {
            socket.Join(room!);
            return ValueTask.FromResult("joined");
        });

        // A broadcast to a room, encoded once, that reaches the sender too.
        socket.On("shout", async e =>
        {
            var room = e.Args.Get<string>(0)!;
            await io.To(room).EmitAsync("shouted", e.Args.Get<string>(1));
        });
    });
});
app.MapServerSentEvents("/sse");

app.Run();
