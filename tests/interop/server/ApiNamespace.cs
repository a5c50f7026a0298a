using System.Collections.Concurrent;
using Switchboard.SocketIO;

/// <summary>
/// The namespace <c>/api</c>: the parts of socket.io's server API that server-api.test.mjs drives with
/// the official client (argument shapes, JavaScript numbers, per-event middleware, catch-all listeners,
/// acknowledgement callbacks, <c>send</c>, <c>disconnecting</c>, adapter room events, several rooms at
/// once, the handshake of fetched sockets, and the close reasons of socket.io). Each event answers with
/// what the server observed, so the client can assert it.
/// </summary>
internal static class ApiNamespace
{
    /// <summary>Sockets that joined <c>observers</c> get <c>left</c> (id, rooms at disconnecting, reason) for every socket that leaves.</summary>
    private const string Observers = "observers";

    public static void Configure(Namespace nsp)
    {
        // Node's next(new Error(message)): an ordinary exception's message reaches connect_error.
        nsp.Use((socket, next) =>
        {
            if (socket.Handshake.Auth.TryGetProperty("fail", out var fail))
            {
                throw new InvalidOperationException(fail.GetString());
            }
            return next();
        });

        // Adapter room events, recorded per room for "room-events".
        var roomEvents = new ConcurrentDictionary<string, ConcurrentQueue<string>>(StringComparer.Ordinal);
        void Record(string room, string what) => roomEvents.GetOrAdd(room, _ => new()).Enqueue(what);
        nsp.Adapter.RoomCreated += room => Record(room, "create-room");
        nsp.Adapter.RoomJoined += (room, id) => Record(room, $"join-room {id}");
        nsp.Adapter.RoomLeft += (room, id) => Record(room, $"leave-room {id}");
        nsp.Adapter.RoomDeleted += room => Record(room, "delete-room");

        nsp.OnConnection(socket =>
        {
            var seen = new ConcurrentQueue<string>();
            Action<SocketEvent> any = e => seen.Enqueue($"any:{e.Name}");
            socket.OnAny(any);
            socket.PrependAny(e => seen.Enqueue($"first:{e.Name}"));
            var outgoing = new ConcurrentQueue<string>();
            Action<string, object?[]> onOut = (name, _) => outgoing.Enqueue($"out:{name}");
            socket.OnAnyOutgoing(onOut);
            socket.PrependAnyOutgoing((name, _) => outgoing.Enqueue($"first-out:{name}"));

            // socket.use: an event whose first argument is "block" throws (the socket's error event fires),
            // one with "drop" never calls next; both are stopped before their listeners.
            socket.Use((e, next) => e.Args.Count > 0 && e.Args[0].ValueKind == System.Text.Json.JsonValueKind.String
                ? e.Arg<string>(0) switch
                {
                    "block" => throw new InvalidOperationException("blocked by use"),
                    "drop" => ValueTask.CompletedTask,
                    _ => next(),
                }
                : next());
            socket.Error += (s, ex) => s.Emit("error-seen", ex.Message);

            socket.Disconnecting += (s, reason) =>
                _ = nsp.To(Observers).EmitAsync("left", s.Id, s.Rooms.Order(StringComparer.Ordinal).ToArray(), reason.ToWireName());

            socket.On("shapes", e =>
            {
                e.Socket.Emit("array", new[] { "a", "b" });
                e.Socket.Emit("null", null);
                e.Socket.Emit("list", new List<int> { 1, 2, 3 });
                object?[] items = ["x", 2];
                e.Socket.Emit("spread", [.. items]);
                e.Socket.Emit("none");
                e.Ack(new[] { 1, 2 });
            });
            socket.On("null-ack", e => e.Ack(null));
            socket.On("numbers", e => e.Ack(double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0,
                new { nan = double.NaN, list = new[] { 1.5, double.NaN, -0.0 }, f = float.NegativeInfinity }));

            socket.On("send-me", e => e.Socket.Send("hello", 1));
            socket.On("message", e => e.Socket.Emit("got-message", e.Args));

            // Emit with an acknowledgement callback, answered or timed out.
            socket.On("ask-callback", e => e.Socket.EmitWithAck("question", (error, reply) =>
                e.Ack(error?.GetType().Name, reply), "what?"));
            socket.On("ask-callback-timeout", e => e.Socket.Timeout(TimeSpan.FromMilliseconds(200)).EmitWithAck("ignore-me", (error, reply) =>
                e.Ack(error?.GetType().Name, reply)));

            socket.On("report-any", e => e.Ack(seen.ToArray(), e.Socket.ListenersAny().Count));
            socket.On("off-any", e =>
            {
                e.Socket.OffAny(any);
                seen.Clear();
                e.Ack(e.Socket.ListenersAny().Count);
            });
            socket.On("off-any-all", e =>
            {
                e.Socket.OffAny();
                seen.Clear();
                e.Ack(e.Socket.ListenersAny().Count);
            });
            socket.On("report-outgoing", e =>
            {
                var before = outgoing.ToArray();
                e.Socket.OffAnyOutgoing(onOut);
                outgoing.Clear();
                e.Socket.Emit("after-off");
                e.Ack(before, outgoing.ToArray(), e.Socket.ListenersAnyOutgoing().Count);
            });

            socket.On("join", e =>
            {
                foreach (var room in e.Args.Get<string[]>(0)!)
                {
                    e.Socket.Join(room);
                }
                e.Ack("ok");
            });
            socket.On("leave", e =>
            {
                e.Socket.Leave(e.Arg<string>(0)!);
                e.Ack("ok");
            });
            socket.On("room-events", e => e.Ack(roomEvents.TryGetValue(e.Arg<string>(0)!, out var list) ? list.ToArray() : []));

            // (rooms, except): "multi" to the sockets of any of the rooms and none of the excepted ones.
            socket.On("to-rooms", async e =>
            {
                await nsp.In(e.Args.Get<string[]>(0)!).Except(e.Args.Get<string[]>(1)!).Compress(false).EmitAsync("multi", "from io");
                e.Ack("ok");
            });
            socket.On("socket-to-rooms", async e =>
            {
                await e.Socket.In(e.Args.Get<string[]>(0)!).Except(e.Args.Get<string[]>(1)!).EmitAsync("multi", "from socket");
                e.Ack("ok");
            });

            // The handshake as fetchSockets sees it.
            socket.On("fetch-me", async e =>
            {
                var found = await nsp.In(e.Socket.Id).FetchSocketsAsync();
                var handshake = found.Single().Handshake;
                e.Ack(handshake.Query.GetValueOrDefault("flavour"), handshake.Headers.ContainsKey("host"), handshake.Auth.GetProperty("token").GetString());
            });

            socket.On("kick-me", e => e.Socket.Disconnect(close: true));
        });

        // Namespaces made and removed (the dynamic /dyn-N ones go with their last socket), for observers.
        nsp.Server.NamespaceCreated += created => _ = nsp.To(Observers).EmitAsync("namespace-created", created.Name);
        nsp.Server.NamespaceRemoved += removed => _ = nsp.To(Observers).EmitAsync("namespace-removed", removed.Name);

        // Namespace-wide handlers, removable with Off.
        Action<SocketEvent> shared = e => e.Ack("shared");
        nsp.On("shared", shared);
        nsp.On("off-shared", e =>
        {
            nsp.Off("shared", shared);
            e.Ack("off");
        });
    }
}
