using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switchboard.SocketIO;

namespace Switchboard.ParityServer;

/// <summary>The namespaces <c>/</c>, <c>/chat</c> and <c>/dyn-N</c>, their middleware and connection handlers.</summary>
internal static class ParityNamespaces
{
    /// <summary>The onAny / onAnyOutgoing record of a socket whose auth asked for it (<c>trackAny</c>).</summary>
    internal sealed class AnyLog
    {
        public List<object?[]> Incoming { get; } = [];

        public List<object?[]> Outgoing { get; } = [];
    }

    internal static readonly ConditionalWeakTable<Socket, AnyLog> AnyLogs = [];

    public static void Configure(SocketServer io)
    {
        io.Use(MainMiddleware);
        io.OnConnection(socket => OnConnection(socket, []));
        ParityHandlers.Register(io, io.Main.On);

        var chat = io.Of("/chat");
        chat.Use(ChatMiddleware);
        chat.OnConnection(socket => OnConnection(socket, ["lobby"]));
        ParityHandlers.Register(io, chat.On);

        var dynamic = io.Of(new Regex(@"^/dyn-\d+$", RegexOptions.CultureInvariant));
        dynamic.Use(DynamicMiddleware);
        dynamic.OnConnection(socket => OnConnection(socket, []));
        ParityHandlers.Register(io, dynamic.On);
    }

    private static ValueTask MainMiddleware(Socket socket, Func<ValueTask> next)
    {
        switch (AuthString(socket, "refuse"))
        {
            case "plain":
                throw new SocketConnectException("refused: plain");
            case "data":
                throw new SocketConnectException("refused: with data", new
                {
                    code = 4001,
                    reasons = new[] { "banned", null },
                    nested = new { retry = false },
                });
            case "throw":
                // An ordinary exception, as a C# user's middleware fails (Node: next(new Error(...))).
                throw new InvalidOperationException("middleware exploded");
        }
        socket.Data["name"] = AuthString(socket, "name") ?? "anon";
        return next();
    }

    private static ValueTask ChatMiddleware(Socket socket, Func<ValueTask> next)
    {
        if (AuthString(socket, "token") != "chat-token")
        {
            throw new SocketConnectException("chat: not authorized", new { required = "chat-token" });
        }
        socket.Data["name"] = AuthString(socket, "name") ?? "anon";
        return next();
    }

    private static ValueTask DynamicMiddleware(Socket socket, Func<ValueTask> next)
    {
        if (AuthString(socket, "refuse") == "dyn")
        {
            throw new SocketConnectException("dyn: refused");
        }
        socket.Data["name"] = AuthString(socket, "name") ?? "anon";
        return next();
    }

    private static void OnConnection(Socket socket, string[] rooms)
    {
        socket.Join(rooms);
        var auth = socket.Handshake.Auth;
        if (auth.ValueKind == JsonValueKind.Object && auth.TryGetProperty("rooms", out var extra) && extra.ValueKind == JsonValueKind.Array)
        {
            foreach (var room in extra.EnumerateArray())
            {
                socket.Join(room.GetString()!);
            }
        }
        if (auth.ValueKind == JsonValueKind.Object && auth.TryGetProperty("trackAny", out var track) && track.ValueKind == JsonValueKind.True)
        {
            var log = AnyLogs.GetValue(socket, _ => new AnyLog());
            socket.OnAny(e =>
            {
                log.Incoming.Add([e.Name, .. Enumerable.Range(0, e.Args.Count).Select(i => (object?)e.Args[i].Clone())]);
                return ValueTask.CompletedTask;
            });
            socket.OnAnyOutgoing((name, args) => log.Outgoing.Add([name, .. args]));
        }
        if (auth.ValueKind == JsonValueKind.Object && auth.TryGetProperty("announceRooms", out var announce) && announce.ValueKind == JsonValueKind.True)
        {
            // As Node's 'disconnecting': the rooms are still there.
            socket.Disconnecting += (gone, reason) =>
            {
                var rooms = gone.Rooms.Where(room => room != gone.Id).Order(StringComparer.Ordinal).ToArray();
                _ = gone.Namespace.To("observers").EmitAsync("leaving", gone.Data["name"], reason.ToWireName(), rooms).AsTask();
            };
        }
        socket.Disconnected += (gone, reason) =>
            _ = gone.Namespace.To("observers").EmitAsync("gone", gone.Data["name"], reason.ToWireName()).AsTask();
        socket.Emit("welcome", socket.Namespace.Name, socket.Data["name"], socket.Recovered);
    }

    private static string? AuthString(Socket socket, string name)
    {
        var auth = socket.Handshake.Auth;
        return auth.ValueKind == JsonValueKind.Object && auth.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
    }
}
