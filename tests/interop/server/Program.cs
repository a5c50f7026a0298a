// The interop test app: the server the official socket.io-client suites talk to. Every event here
// exists for a scenario of tests/interop/socketio-client.test.mjs or bad-input.test.mjs; the
// header of those files lists what they rely on. Start it with:
//   dotnet tests/interop/server/bin/Release/net10.0/Switchboard.InteropServer.dll --urls http://127.0.0.1:0
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.AspNetCore;
using Switchboard.SocketIO;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddSwitchboard(options =>
{
    // Short heartbeats so dead connections are noticed within a test (the timeout leaves room for a
    // loaded machine: a client that answers a ping late is not dropped), and a small payload limit so
    // oversized inputs are cheap to produce.
    options.Engine.PingInterval = TimeSpan.FromSeconds(1);
    // bad-input.test.mjs awaits each refusal's log line: none is throttled.
    options.Engine.RefusalLogInterval = TimeSpan.Zero;
    options.Engine.PingTimeout = TimeSpan.FromSeconds(5);
    options.Engine.MaxPayload = InteropProfile.MaxPayload;
    options.ConnectTimeout = TimeSpan.FromSeconds(5);
    // The dynamic namespaces /dyn-N go away with their last socket, as with Node's cleanupEmptyChildNamespaces.
    options.CleanupEmptyChildNamespaces = true;
    EngineProfile.ConfigureOptions(options, builder.Configuration);

    // eio3.test.mjs starts the app with --Interop:AllowEIO3=true (socket.io-client 2.x), see Eio3Profile.cs.
    Eio3Profile.ConfigureOptions(options, builder.Configuration);

    // msgpack.test.mjs starts the app with --Switchboard:Parser=msgpack (bound as the standalone server binds it).
    builder.Configuration.GetSection("Switchboard").Bind(options);

    // recovery.test.mjs starts the app with --Interop:Recovery=true (and a small history to exceed).
    if (builder.Configuration.GetValue<bool>("Interop:Recovery"))
    {
        options.Recovery = new ConnectionStateRecoveryOptions();
        options.Channels.DefaultHistory.Size = builder.Configuration.GetValue("Interop:HistorySize", 100);
    }
});

// direct-websocket.test.mjs starts the app with --Interop:Direct=true: WebSocket handshakes answered on the
// connection itself (UseSwitchboardWebSockets, docs/decisions/0015-own-the-connection.md).
if (builder.Configuration.GetValue<bool>("Interop:Direct"))
{
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSwitchboardWebSockets(o =>
    {
        o.HandshakeTimeout = TimeSpan.FromSeconds(1);
        o.AllowedOrigins.Add("http://allowed.example");
    })));
}

var app = builder.Build();
app.MapGet("/health", () => "ok");
if (builder.Configuration.GetValue<bool>("Interop:Direct"))
{
    // The plain WebSocket protocol, served directly too (direct-websocket.test.mjs).
    app.MapChannelWebSocket("/ws");
}

app.MapSocketIO("/socket.io", io =>
{
    MainNamespace.Configure(io);
    EngineProfile.Configure(io, builder.Configuration);
    AdminNamespace.Configure(io.Of("/admin"));
    ApiNamespace.Configure(io.Of("/api"));
    Eio3Profile.Configure(io);

    io.Of(new Regex(@"^/dyn-\d+$", RegexOptions.CultureInvariant))
        .OnConnection(socket => socket.Emit("welcome", socket.Namespace.Name))
        .On("echo", e =>
        {
            e.Ack(e.Args);
            return ValueTask.CompletedTask;
        })
        .On("engine-id", e =>
        {
            e.Ack(e.Socket.Connection.Id);
            return ValueTask.CompletedTask;
        });
});

app.Run();

internal static class InteropProfile
{
    public const long MaxPayload = 100_000;

    /// <summary>How long <c>ask-client</c> waits for the client's acknowledgement.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>The bytes <c>binary-echo</c> adds to its answer, so the client can tell them from its own.</summary>
    public static readonly byte[] ServerBytes = [0xde, 0xad, 0xbe, 0xef];
}

/// <summary>
/// The main namespace <c>/</c>. Handlers are shared namespace handlers, so a socket costs no
/// registrations.
/// </summary>
internal static class MainNamespace
{
    public static void Configure(SocketServer io)
    {
        var main = io.Main;

        // Acknowledges with the arguments exactly as received (binary attachments included).
        main.On("echo", e => e.Ack(e.Args));

        // The Engine.IO session id under the socket: equal across the namespaces of one connection.
        main.On("engine-id", e => e.Ack(e.Socket.Connection.Id));

        // (text): `said` with the text, to the sender alone (a direct emit whose last argument is a string).
        main.On("say", e => e.Socket.Emit("said", e.Arg<string>(0)));

        main.On("join", e =>
        {
            e.Socket.Join(e.Arg<string>(0)!);
            e.Ack("ok");
        });

        main.On("leave", e =>
        {
            e.Socket.Leave(e.Arg<string>(0)!);
            e.Ack("ok");
        });

        // (room, payload): `room-message` to the room's members except the sender.
        main.On("to-room", async e =>
        {
            await e.Socket.To(e.Arg<string>(0)!).EmitAsync("room-message", e.Args[1]);
            e.Ack("ok");
        });

        // (room, payload): `room-message` to every member of the room, the sender included.
        main.On("to-room-all", async e =>
        {
            await io.To(e.Arg<string>(0)!).EmitAsync("room-message", e.Args[1]);
            e.Ack("ok");
        });

        // (room, payload): `broadcast` to every socket of `/` that is not in the room.
        main.On("broadcast-except", async e =>
        {
            await io.Except(e.Arg<string>(0)!).EmitAsync("broadcast", e.Args[1]);
            e.Ack("ok");
        });

        // Asks the caller `question` (with the caller's arguments) and acknowledges with the caller's
        // answer, or with {error:"timeout"} when no answer comes in time.
        main.On("ask-client", async e =>
        {
            try
            {
                var answer = await e.Socket.Timeout(InteropProfile.AskTimeout).EmitWithAckAsync("question", e.Args);
                e.Ack(answer);
            }
            catch (SocketAckTimeoutException)
            {
                e.Ack(new { error = "timeout" });
            }
        });

        // (bytes): the same bytes back, then an object holding server-made bytes, nested.
        main.On("binary-echo", e =>
        {
            var received = e.Arg<byte[]>(0)!;
            e.Ack(received, new
            {
                made = InteropProfile.ServerBytes,
                nested = new object[] { "label", new { inner = InteropProfile.ServerBytes } },
            });
        });

        // ({ data: bytes, items: [bytes...] }): what the server decoded from the nested placeholders.
        main.On("binary-inspect", e =>
        {
            var bundle = e.Arg<BinaryBundle>(0)!;
            e.Ack(new
            {
                dataLength = bundle.Data.Length,
                dataSum = bundle.Data.Sum(b => b),
                itemLengths = bundle.Items.Select(item => item.Length).ToArray(),
            });
        });

        // (room): the ids of the sockets in the room, sorted.
        main.On("fetch", async e =>
        {
            var sockets = await io.In(e.Arg<string>(0)!).FetchSocketsAsync();
            // Cast: a string[] would otherwise be taken as the params array itself (array covariance).
            e.Ack((object)sockets.Select(s => s.Id).Order(StringComparer.Ordinal).ToArray());
        });

        main.On("disconnect-me", e => e.Socket.Disconnect());

        // For floods: counts `count` events per socket; `get-count` acknowledges the total.
        main.On("count", e => e.Socket.Data["count"] = (e.Socket.Data.TryGetValue("count", out var n) ? (int)n! : 0) + 1);
        main.On("get-count", e => e.Ack(e.Socket.Data.TryGetValue("count", out var n) ? (int)n! : 0));

        // `ignore` is deliberately never acknowledged (client-side ack timeouts).
    }

    private sealed record BinaryBundle(byte[] Data, byte[][] Items);
}

/// <summary><c>/admin</c>: refuses every socket whose CONNECT auth lacks <c>token: "secret"</c>.</summary>
internal static class AdminNamespace
{
    public static void Configure(Namespace admin)
    {
        admin.Use((socket, next) =>
        {
            var auth = socket.Handshake.Auth;
            var authorized = auth.ValueKind == JsonValueKind.Object
                && auth.TryGetProperty("token", out var token)
                && token.ValueKind == JsonValueKind.String
                && token.ValueEquals("secret");
            if (!authorized)
            {
                throw new SocketConnectException("unauthorized", new { reason = "bad token" });
            }
            return next();
        });
        admin.OnConnection(socket => socket.Emit("admin-welcome", socket.Namespace.Name));
        admin.On("echo", e => e.Ack(e.Args));
        admin.On("engine-id", e => e.Ack(e.Socket.Connection.Id));
    }
}
