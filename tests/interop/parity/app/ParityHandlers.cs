using System.Text.Json;
using Switchboard.SocketIO;

namespace Switchboard.ParityServer;

/// <summary>
/// The events every namespace answers: the twin of <c>handlers()</c> in node-app.mjs. Registered as
/// shared namespace handlers; a handler never passes a lone array or a lone null as an emit's only
/// argument (a label goes first), so its meaning is the same in both languages.
/// </summary>
internal static class ParityHandlers
{
    public static void Register(SocketServer io, Func<string, Func<SocketEvent, ValueTask>, object> on)
    {
        void Sync(string name, Action<SocketEvent> handler) => on(name, e => { handler(e); return ValueTask.CompletedTask; });

        Sync("echo", e => e.Ack(e.Args));
        // The arguments as the server parsed them, written again by the server.
        Sync("reserialize", e => e.Ack(new { args = Elements(e, 0) }));
        Sync("echo-event", e => e.Socket.Emit("echoed", e.Args));
        Sync("add", e => e.Ack(e.Arg<double>(0) + e.Arg<double>(1)));
        Sync("string-info", e =>
        {
            var s = e.Arg<string>(0)!;
            e.Ack(s.Length, s);
        });
        Sync("values", e =>
        {
            e.Socket.Emit("values",
                0, 1, -1, 9007199254740991L, -9007199254740991L, 0.1, 0.30000000000000004, 1.5, -2.25, 1e21, 1.5e-7,
                5e-324, 1.7976931348623157e308, 123456.789, true, false, "", "héllo wörld", "日本語", "😀 emoji",
                "tab\tnew\nline \"quoted\" \\ slash </script>",
                new { nested = new object[] { 1, new object[] { 2, new object[] { 3, Array.Empty<object>() } } }, nothing = (object?)null, empty = new { }, list = Array.Empty<object>() });
            e.Ack(
                0, 1, -1, 9007199254740991L, -9007199254740991L, 0.1, 0.30000000000000004, 1.5, -2.25, 1e21, 1.5e-7,
                5e-324, 1.7976931348623157e308, 123456.789, true, false, "", "héllo wörld", "日本語", "😀 emoji",
                "tab\tnew\nline \"quoted\" \\ slash </script>",
                new { nested = new object[] { 1, new object[] { 2, new object[] { 3, Array.Empty<object>() } } }, nothing = (object?)null, empty = new { }, list = Array.Empty<object>() });
        });
        Sync("special-numbers", e =>
        {
            e.Socket.Emit("special", double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0,
                new { nan = double.NaN, inf = double.PositiveInfinity, negzero = -0.0 });
            e.Ack("done");
        });
        Sync("no-args", e =>
        {
            e.Socket.Emit("empty");
            e.Ack();
        });
        Sync("binary", e =>
        {
            e.Socket.Emit("bin", new byte[] { 1, 2, 3 }, new
            {
                label = "files",
                file = new byte[] { 0, 255, 16, 32 },
                parts = new object[] { new byte[] { 9 }, new { deep = new byte[] { 7, 7 } } },
            });
            e.Ack(new byte[] { 0xca, 0xfe }, new { also = new byte[] { 0xba, 0xbe } });
        });
        Sync("binary-inspect", e =>
        {
            var bundle = e.Arg<Bundle>(0)!;
            e.Ack(new
            {
                name = bundle.Name,
                dataHex = Convert.ToHexStringLower(bundle.Data),
                partsHex = bundle.Parts.Select(Convert.ToHexStringLower).ToArray(),
                innerHex = Convert.ToHexStringLower(bundle.Deep.Inner),
                reversed = bundle.Data.Reverse().ToArray(),
            });
        });
        Sync("join", e =>
        {
            var room = e.Arg<string>(0)!;
            e.Socket.Join(room);
            e.Ack("joined", room);
        });
        Sync("leave", e =>
        {
            var room = e.Arg<string>(0)!;
            e.Socket.Leave(room);
            e.Ack("left", room);
        });
        Sync("rooms", e => e.Ack("rooms", e.Socket.Rooms.ToArray()));
        Sync("whoami", e => e.Ack(e.Socket.Id, e.Socket.Namespace.Name, e.Socket.Data["name"]));
        Sync("auth", e => e.Ack("auth", e.Socket.Handshake.Auth));
        on("bcast", async e =>
        {
            var spec = e.Arg<BroadcastSpec>(0)!;
            var eventName = e.Arg<string>(1)!;
            var payload = e.Args[2].Clone();
            if (Operator(io, e.Socket, spec) is { } op)
            {
                await op.EmitAsync(eventName, payload);
            }
            else if (spec.Volatile)
            {
                e.Socket.Volatile.Emit(eventName, payload);
            }
            else
            {
                e.Socket.Emit(eventName, payload);
            }
            e.Ack("sent");
        });
        on("poll", async e =>
        {
            var spec = e.Arg<BroadcastSpec>(0)!;
            try
            {
                var responses = await Operator(io, e.Socket, spec)!.Value.Timeout(TimeSpan.FromMilliseconds(spec.Timeout))
                    .EmitWithAckAsync("poll-question", spec.Question);
                e.Ack("answers", responses.Select(r => r.Get<string>(0)).Order(StringComparer.Ordinal).ToArray());
            }
            catch (SocketAckTimeoutException)
            {
                e.Ack("timeout");
            }
        });
        on("ask", async e =>
        {
            try
            {
                var answer = await e.Socket.Timeout(TimeSpan.FromMilliseconds(e.Arg<int>(0))).EmitWithAckAsync("question", e.Args[1].Clone());
                e.Ack("answer", answer.Count > 0 ? answer[0].Clone() : (object?)null);
            }
            catch (SocketAckTimeoutException)
            {
                e.Ack("timeout");
            }
        });
        Sync("set-data", e =>
        {
            e.Socket.Data[e.Arg<string>(0)!] = e.Args[1].Clone();
            e.Ack(e.Socket.Data);
        });
        on("fetch", async e =>
        {
            var room = e.Args.Count > 0 && e.Args[0].ValueKind == JsonValueKind.String ? e.Arg<string>(0) : null;
            var nsp = e.Socket.Namespace;
            var sockets = room is null ? await nsp.FetchSocketsAsync() : await nsp.In(room).FetchSocketsAsync();
            e.Ack("sockets", sockets.Select(s => new { id = s.Id, rooms = s.Rooms.ToArray(), data = s.Data }).ToArray());
        });
        on("sockets-join", async e =>
        {
            await e.Socket.Namespace.In(e.Arg<string>(0)!).SocketsJoinAsync(e.Arg<string>(1)!);
            e.Ack("ok");
        });
        on("sockets-leave", async e =>
        {
            await e.Socket.Namespace.In(e.Arg<string>(0)!).SocketsLeaveAsync(e.Arg<string>(1)!);
            e.Ack("ok");
        });
        on("disconnect-sockets", async e =>
        {
            await e.Socket.Namespace.In(e.Arg<string>(0)!).DisconnectSocketsAsync(e.Arg<bool>(1));
            e.Ack("ok");
        });
        Sync("disconnect-me", e => e.Socket.Disconnect(e.Args.Count > 0 && e.Arg<bool>(0)));
        Sync("throw", _ => throw new InvalidOperationException("handler exploded"));
        on("throw-async", async _ =>
        {
            await Task.Yield();
            throw new InvalidOperationException("handler exploded");
        });
        on("bin-to-room", async e =>
        {
            await e.Socket.Namespace.To(e.Arg<string>(0)!).EmitAsync("bin-news",
                new { file = new byte[] { 1, 2, 3 }, list = new object[] { new byte[] { 4 } } }, new byte[] { 5, 6 });
            e.Ack("sent");
        });
        Sync("any-log", e =>
        {
            var log = ParityNamespaces.AnyLogs.TryGetValue(e.Socket, out var found) ? found : new ParityNamespaces.AnyLog();
            e.Ack(log.Incoming, log.Outgoing);
        });
        Sync("42", e => e.Ack("numeric event"));
    }

    /// <summary>The broadcast operator a spec names, or null for the socket itself (a direct emit).</summary>
    private static BroadcastOperator? Operator(SocketServer io, Socket socket, BroadcastSpec spec)
    {
        var to = spec.To ?? [];
        var @in = spec.In ?? [];
        var except = spec.Except ?? [];
        BroadcastOperator op;
        if (spec.From == "socket")
        {
            if (!spec.Broadcast && to.Length == 0 && @in.Length == 0 && except.Length == 0)
            {
                return null;
            }
            op = socket.Broadcast;
        }
        else
        {
            op = new BroadcastOperator(spec.From == "nsp" ? socket.Namespace : io.Of(spec.From));
        }
        foreach (var room in to)
        {
            op = room.ValueKind == JsonValueKind.Array ? op.To(room.EnumerateArray().Select(r => r.GetString()!)) : op.To(room.GetString()!);
        }
        foreach (var room in @in)
        {
            op = op.In(room.GetString()!);
        }
        foreach (var room in except)
        {
            op = room.ValueKind == JsonValueKind.Array ? op.Except(room.EnumerateArray().Select(r => r.GetString()!)) : op.Except(room.GetString()!);
        }
        return spec.Volatile ? op.Volatile : op;
    }

    private static JsonElement[] Elements(SocketEvent e, int from) =>
        [.. Enumerable.Range(from, e.Args.Count - from).Select(i => e.Args[i].Clone())];

    /// <summary>What a <c>bcast</c> or <c>poll</c> targets (parity/scenario.mjs).</summary>
    private sealed record BroadcastSpec(
        string From, bool Broadcast, JsonElement[]? To, JsonElement[]? In, JsonElement[]? Except, bool Volatile,
        int Timeout, string? Question);

    private sealed record Bundle(string Name, byte[] Data, byte[][] Parts, DeepPart Deep);

    private sealed record DeepPart(byte[] Inner);
}
