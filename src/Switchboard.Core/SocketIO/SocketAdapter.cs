using Switchboard.Cluster;

namespace Switchboard.SocketIO;

/// <summary>
/// The broadcast contract of a namespace, and its in-memory implementation: the local index of rooms
/// and the delivery of encoded packets to local sockets. In a cluster it also hands broadcasts that are
/// not local (the same bytes) and cluster-wide requests to the server's <see cref="IClusterBus"/>;
/// namespaces and transports only ever talk to this type.
/// </summary>
public partial class SocketAdapter(Namespace nsp)
{
    private readonly Dictionary<string, MemberSet<Socket>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<Socket, MemberSet<string>> _socketRooms = [];
    private readonly Lock _lock = new();

    /// <summary>The namespace the adapter broadcasts for.</summary>
    public Namespace Namespace { get; } = nsp;

    /// <summary>Every room with at least one local member (socket id rooms included).</summary>
    public IReadOnlyCollection<string> Rooms
    {
        get
        {
            lock (_lock)
            {
                return [.. _rooms.Keys];
            }
        }
    }

    /// <summary>How many of this node's sockets are in <paramref name="room"/>.</summary>
    public int RoomSize(string room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var members) ? members.Count : 0;
        }
    }

    /// <summary>A room got its first local member (socket.io's adapter event <c>create-room</c>). Raised outside the adapter's lock.</summary>
    public event Action<string>? RoomCreated;

    /// <summary>A room lost its last local member (<c>delete-room</c>).</summary>
    public event Action<string>? RoomDeleted;

    /// <summary>A socket joined a room it was not in (<c>join-room</c>): the room, then the socket id. A socket joins its own id room too.</summary>
    public event Action<string, string>? RoomJoined;

    /// <summary>A socket left a room (<c>leave-room</c>): the room, then the socket id.</summary>
    public event Action<string, string>? RoomLeft;

    private bool Observed => RoomCreated is not null || RoomDeleted is not null || RoomJoined is not null || RoomLeft is not null;

    /// <summary>Adds <paramref name="socket"/> to <paramref name="room"/>.</summary>
    public virtual void Join(Socket socket, string room)
    {
        bool created, joined;
        lock (_lock)
        {
            if (_socketRooms.TryGetValue(socket, out var rooms))
            {
                rooms.Add(room);
            }
            else
            {
                _socketRooms[socket] = new MemberSet<string>(room);
            }
            created = !_rooms.TryGetValue(room, out var members);
            if (created)
            {
                _rooms[room] = new MemberSet<Socket>(socket);
                Namespace.Channels.RoomCreated(room);
                joined = true;
            }
            else
            {
                joined = members!.Add(socket);
            }
        }
        if (created)
        {
            Raise(RoomCreated, room);
        }
        if (joined)
        {
            Raise(RoomJoined, room, socket.Id);
        }
    }

    /// <summary>Removes <paramref name="socket"/> from <paramref name="room"/>.</summary>
    public virtual void Leave(Socket socket, string room)
    {
        (bool Left, bool Deleted) change;
        lock (_lock)
        {
            if (_socketRooms.TryGetValue(socket, out var rooms))
            {
                rooms.Remove(room);
            }
            change = RemoveMember(room, socket);
        }
        RaiseLeft(room, socket.Id, change);
    }

    /// <summary>Removes <paramref name="socket"/> from every room.</summary>
    public virtual void LeaveAll(Socket socket)
    {
        List<(string Room, (bool Left, bool Deleted) Change)>? changes = null;
        lock (_lock)
        {
            if (!_socketRooms.Remove(socket, out var rooms))
            {
                return;
            }
            if (Observed)
            {
                changes = new(rooms.Count);
            }
            foreach (var room in rooms)
            {
                var change = RemoveMember(room, socket);
                changes?.Add((room, change));
            }
        }
        if (changes is not null)
        {
            foreach (var (room, change) in changes)
            {
                RaiseLeft(room, socket.Id, change);
            }
        }
    }

    private (bool Left, bool Deleted) RemoveMember(string room, Socket socket)
    {
        if (!_rooms.TryGetValue(room, out var members) || !members.Remove(socket))
        {
            return (false, false);
        }
        if (members.Count == 0)
        {
            _rooms.Remove(room);
            Namespace.Channels.RoomDeleted(room);
            return (true, true);
        }
        return (true, false);
    }

    private void RaiseLeft(string room, string socketId, (bool Left, bool Deleted) change)
    {
        if (change.Left)
        {
            Raise(RoomLeft, room, socketId);
        }
        if (change.Deleted)
        {
            Raise(RoomDeleted, room);
        }
    }

    private void Raise(Action<string>? handler, string room)
    {
        try
        {
            handler?.Invoke(room);
        }
        catch (Exception ex)
        {
            Namespace.Server.Log.HandlerFailed(room, "adapter room event", ex);
        }
    }

    private void Raise(Action<string, string>? handler, string room, string socketId)
    {
        try
        {
            handler?.Invoke(room, socketId);
        }
        catch (Exception ex)
        {
            Namespace.Server.Log.HandlerFailed(socketId, "adapter room event", ex);
        }
    }

    /// <summary>The local members of a room.</summary>
    public IReadOnlyList<Socket> SocketsIn(string room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var members) ? members.ToArray() : [];
        }
    }

    /// <summary>Whether a socket may join a room: it is in it already, or in fewer than <paramref name="max"/> rooms.</summary>
    internal bool CanJoin(Socket socket, string room, int max)
    {
        lock (_lock)
        {
            return !_socketRooms.TryGetValue(socket, out var rooms) || rooms.Count < max || rooms.Contains(room);
        }
    }

    /// <summary>How many rooms a socket is in, its own id room included, and whether <paramref name="room"/> is one.</summary>
    internal (int Count, bool Contains) RoomCountOf(Socket socket, string room)
    {
        lock (_lock)
        {
            return _socketRooms.TryGetValue(socket, out var rooms) ? (rooms.Count, rooms.Contains(room)) : (0, false);
        }
    }

    /// <summary>The rooms <paramref name="socket"/> is in, on this node.</summary>
    public IReadOnlyCollection<string> RoomsOf(Socket socket)
    {
        lock (_lock)
        {
            return _socketRooms.TryGetValue(socket, out var rooms) ? rooms.ToArray() : [];
        }
    }

    /// <summary>Local delivery, shared by every adapter: no per-recipient allocation. Returns how many sockets were sent the packet.</summary>
    protected internal int DeliverLocal(EncodedPacket packet, BroadcastOptions options)
    {
        var delivered = 0;
        packet.PrebuildWebSocketFrame();
        lock (_lock)
        {
            if (options.Rooms.Count == 1 && options.Except.Count == 0)
            {
                // The common case, a single room: iterate its members directly.
                if (_rooms.TryGetValue(First(options.Rooms), out var members))
                {
                    var direct = members.Count <= DirectRoomSize;
                    foreach (var socket in members)
                    {
                        if (Deliver(socket, packet, options, direct))
                        {
                            delivered++;
                        }
                    }
                }
                return delivered;
            }
        }
        ForEachTarget(options, socket =>
        {
            if (Deliver(socket, packet, options, direct: false))
            {
                delivered++;
            }
        });
        return delivered;
    }

    /// <summary>A room this small is written to on the publishing thread where a member's writer is idle (<see cref="Deliver"/>).</summary>
    internal const int DirectRoomSize = 16;

    /// <summary>
    /// One recipient. With <paramref name="direct"/> (a small room), a member whose writer waits on an empty queue gets
    /// the frame written on this thread (<see cref="Engine.EngineSession.SendDirect"/>) instead of a wake-up of its writer.
    /// </summary>
    private static bool Deliver(Socket socket, EncodedPacket packet, BroadcastOptions options, bool direct)
    {
        if (options.IsVolatile && !socket.Connection.IsWritable)
        {
            return false;
        }
        return socket.Send(packet, direct, compress: !options.IsUncompressed);
    }

    private List<Socket> Snapshot(BroadcastOptions options)
    {
        var sockets = new List<Socket>();
        ForEachTarget(options, sockets.Add);
        return sockets;
    }

    /// <summary>Calls <paramref name="action"/> once for each local socket the options target.</summary>
    protected void ForEachTarget(BroadcastOptions options, Action<Socket> action)
    {
        lock (_lock)
        {
            HashSet<Socket>? excluded = null;
            if (options.Except.Count > 0)
            {
                excluded = [];
                foreach (var room in options.Except)
                {
                    if (_rooms.TryGetValue(room, out var members))
                    {
                        foreach (var member in members)
                        {
                            excluded.Add(member);
                        }
                    }
                }
            }
            if (options.Rooms.Count == 0)
            {
                foreach (var socket in _socketRooms.Keys)
                {
                    if (excluded is null || !excluded.Contains(socket))
                    {
                        action(socket);
                    }
                }
                return;
            }
            HashSet<Socket>? seen = options.Rooms.Count > 1 ? [] : null;
            foreach (var room in options.Rooms)
            {
                if (!_rooms.TryGetValue(room, out var members))
                {
                    continue;
                }
                foreach (var socket in members)
                {
                    if ((excluded is null || !excluded.Contains(socket)) && (seen is null || seen.Add(socket)))
                    {
                        action(socket);
                    }
                }
            }
        }
    }

    private static string First(IReadOnlyCollection<string> rooms)
    {
        foreach (var room in rooms)
        {
            return room;
        }
        throw new InvalidOperationException();
    }
}
