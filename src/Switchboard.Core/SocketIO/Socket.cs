using Microsoft.Extensions.Logging;
using Switchboard.Engine;
using Switchboard.Protocols;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// One client's presence in one namespace, as socket.io's server-side <c>Socket</c>: events in both
/// directions, acknowledgements, rooms, and broadcasts from it. Split by concern into partial files.
/// </summary>
public sealed partial class Socket
{
    private Dictionary<string, object?>? _data;
    private int _connected;
    private int _leaving;

    internal Socket(Namespace nsp, SocketClient client, SocketHandshake handshake, RecoverableSession? recovered = null)
    {
        Namespace = nsp;
        Client = client;
        Handshake = handshake;
        if (recovered is not null)
        {
            Id = recovered.SocketId;
            RecoverySession = recovered;
            Recovered = true;
        }
        else
        {
            Id = client.Session.Protocol == 3 ? SocketClient.V3SocketId(nsp, client.Session) : EngineServer.NewSessionId();
            StartRecoverySession();
        }
    }

    /// <summary>The socket id: also the name of the room only this socket is in. A recovered socket keeps its id.</summary>
    public string Id { get; private set; }

    /// <summary>Whether this socket is a recovered one: same id, rooms and data, and the missed events replayed.</summary>
    public bool Recovered { get; private set; }

    /// <summary>The state kept for recovery while recovery is on (its private id is sent to the client as <c>pid</c>).</summary>
    internal RecoverableSession? RecoverySession { get; private set; }

    private void StartRecoverySession()
    {
        if (Namespace.Recovery is { } store)
        {
            RecoverySession = new RecoverableSession(EngineServer.NewSessionId(), Id);
            store.Add(RecoverySession);
        }
    }

    /// <summary>Recovery turned out impossible: become a new socket before anyone has seen this one.</summary>
    internal void AbandonRecovery()
    {
        if (RecoverySession is { } old)
        {
            Namespace.Recovery?.Remove(old);
        }
        Id = EngineServer.NewSessionId();
        Recovered = false;
        RecoverySession = null;
        StartRecoverySession();
    }

    /// <summary>The namespace the socket is connected to.</summary>
    public Namespace Namespace { get; }

    /// <summary>The request that opened the connection, and the CONNECT packet's auth.</summary>
    public SocketHandshake Handshake { get; }

    internal SocketClient Client { get; }

    /// <summary>The Engine.IO session under this socket (shared by the client's other namespaces).</summary>
    public EngineSession Connection => Client.Session;

    /// <summary>Free-form data attached to the socket (<c>socket.data</c>).</summary>
    public IDictionary<string, object?> Data => RecoverySession?.Data ?? (_data ??= new Dictionary<string, object?>(StringComparer.Ordinal));

    /// <summary>Whether the socket is connected.</summary>
    public bool Connected => System.Threading.Volatile.Read(ref _connected) == 1;

    /// <summary>Fires once when the socket is disconnected, with the reason.</summary>
    public event Action<Socket, DisconnectReason>? Disconnected;

    /// <summary>
    /// Fires when the socket is about to leave, before its rooms are left (socket.io's <c>disconnecting</c>):
    /// <see cref="Rooms"/> still holds them, and it is still <see cref="Connected"/> (an emit to it still
    /// goes out when the connection can carry it).
    /// </summary>
    public event Action<Socket, DisconnectReason>? Disconnecting;

    /// <summary>
    /// Fires with an error that concerns this socket (socket.io's <c>error</c> event): a packet from its
    /// client that could not be decoded (the connection then closes), or an error a <see cref="Use"/>
    /// middleware threw, which stops that event.
    /// </summary>
    public event Action<Socket, Exception>? Error;

    internal void RaiseError(Exception error)
    {
        try
        {
            Error?.Invoke(this, error);
        }
        catch (Exception ex)
        {
            Namespace.Server.Log.HandlerFailed(Id, "error", ex);
        }
    }

    /// <summary>The rooms this socket is in, its own id room included.</summary>
    public IReadOnlyCollection<string> Rooms => Namespace.Adapter.RoomsOf(this);

    /// <summary>
    /// Joins a room. A socket that has already disconnected joins nothing (a handler that awaited past the
    /// disconnect cannot leak it into a room). Throws <see cref="SocketLimitException"/> when the socket is
    /// already in <see cref="LimitOptions.MaxRoomsPerSocket"/> rooms (see <see cref="TryJoin"/>).
    /// </summary>
    public void Join(string room)
    {
        if (!TryJoin(room))
        {
            throw new SocketLimitException($"Socket {Id} is already in {Namespace.Server.Options.Limits.MaxRoomsPerSocket} rooms, the limit (Limits:MaxRoomsPerSocket).");
        }
    }

    /// <summary>Joins a room; false, and nothing joined, when the socket is already in <see cref="LimitOptions.MaxRoomsPerSocket"/> other rooms.</summary>
    public bool TryJoin(string room)
    {
        if (System.Threading.Volatile.Read(ref _connected) == 2)
        {
            return true;
        }
        var max = Namespace.Server.Options.Limits.MaxRoomsPerSocket;
        if (max > 0 && !Namespace.Adapter.CanJoin(this, room, max))
        {
            Namespace.Server.Limits.Refused(SocketLimits.Kind.JoinRefused, Id, max);
            return false;
        }
        JoinUnchecked(room);
        return true;
    }

    private void JoinUnchecked(string room)
    {
        Namespace.Adapter.Join(this, room);
        if (System.Threading.Volatile.Read(ref _connected) == 2)
        {
            // Disconnected while joining: its rooms were already left, so leave this one too.
            Namespace.Adapter.LeaveAll(this);
            return;
        }
        if (RecoverySession is { } session)
        {
            lock (session)
            {
                session.Rooms.Add(room);
            }
            Namespace.Recovery?.Changed(session);
        }
    }

    /// <summary>
    /// Joins a room and completes once the room's broadcasts from every node of a cluster reach this
    /// socket (<see cref="Join(string)"/> joins at once here, and the cluster learns of it a moment
    /// later). Acknowledge a join after this, and no broadcast sent after the acknowledgement is missed.
    /// </summary>
    public async ValueTask JoinAsync(string room, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Join(room);
        await Namespace.Channels.RoomReadyAsync(room).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Joins every room of <paramref name="rooms"/>.</summary>
    public void Join(IEnumerable<string> rooms)
    {
        foreach (var room in rooms)
        {
            Join(room);
        }
    }

    /// <summary>Leaves <paramref name="room"/>.</summary>
    public void Leave(string room)
    {
        Namespace.Adapter.Leave(this, room);
        if (RecoverySession is { } session)
        {
            lock (session)
            {
                session.Rooms.Remove(room);
            }
            Namespace.Recovery?.Changed(session);
        }
    }

    /// <summary>
    /// Disconnects this socket from its namespace (the client gets a DISCONNECT packet and does not
    /// reconnect). With <paramref name="close"/>, also closes the underlying connection.
    /// </summary>
    public void Disconnect(bool close = false)
    {
        if (!Connected)
        {
            return;
        }
        if (close)
        {
            // As socket.io does: every namespace of the connection is told first, then it closes.
            Client.DisconnectAll();
            return;
        }
        Client.Session.Send(Namespace.Server.Options.Parser.Control(SocketPacketType.Disconnect, Namespace.Name));
        OnDisconnect(DisconnectCode.Disconnected, connectionClosed: false);
    }

    internal void MarkConnected()
    {
        if (Namespace.Channels.StoresEverything)
        {
            // Where this socket stands in the namespace's order: what its direct emits carry until a
            // publication reaches it (a recovered socket's replay may have set it already).
            Interlocked.CompareExchange(ref _lastOffset, Namespace.Channels.FormatOffset(Namespace.Channels.Seq), null);
        }
        System.Threading.Volatile.Write(ref _connected, 1);
        // Socket.IO v4 (an Engine.IO v3 client) has no payload in the CONNECT reply.
        Client.Session.Send(Namespace.Server.Options.Parser.Control(SocketPacketType.Connect, Namespace.Name, Client.Session.Protocol == 3 ? default : ConnectReply()));
    }

    /// <summary><c>{"sid":"..."}</c>, plus <c>"pid"</c> only when recovery is on.</summary>
    private byte[] ConnectReply() => RecoverySession is { } session
        ? System.Text.Encoding.ASCII.GetBytes($"{{\"sid\":\"{Id}\",\"pid\":\"{session.Pid}\"}}")
        : System.Text.Encoding.ASCII.GetBytes($"{{\"sid\":\"{Id}\"}}");

    /// <summary>
    /// Leaves every room, fails pending acks and tells listeners; runs once. <paramref name="code"/> says
    /// why; the listeners get socket.io's reason for it (<see cref="DisconnectReasons.FromCode"/>).
    /// </summary>
    internal void OnDisconnect(DisconnectCode code, bool connectionClosed)
    {
        if (System.Threading.Volatile.Read(ref _connected) != 1 || Interlocked.Exchange(ref _leaving, 1) != 0)
        {
            return;
        }
        var reason = DisconnectReasons.FromCode(code, connectionClosed);
        try
        {
            // As socket.io's "disconnecting": still connected, still in its rooms.
            Disconnecting?.Invoke(this, reason);
        }
        catch (Exception ex)
        {
            Namespace.Server.Log.HandlerFailed(Id, "disconnecting", ex);
        }
        // A join racing with this sees 2 and leaves again (JoinUnchecked), or is undone by Remove below.
        System.Threading.Volatile.Write(ref _connected, 2);
        Namespace.Remove(this);
        Client.Remove(this);
        if (RecoverySession is { } session && Namespace.Recovery is { } store)
        {
            if (IsRecoverable(reason))
            {
                store.Disconnected(session);
            }
            else
            {
                store.Remove(session);
            }
        }
        FailPendingAcks(reason);
        Namespace.Server.Log.SocketDisconnected(Id, Namespace.Name, reason.ToWireName());
        try
        {
            Disconnected?.Invoke(this, reason);
        }
        catch (Exception ex)
        {
            Namespace.Server.Log.HandlerFailed(Id, "disconnect", ex);
        }
    }

    private static bool IsRecoverable(DisconnectReason reason) => reason is DisconnectReason.TransportClose
        or DisconnectReason.TransportError or DisconnectReason.PingTimeout or DisconnectReason.ForcedClose or DisconnectReason.ServerShuttingDown
        or DisconnectReason.SlowConsumer;

    /// <summary><c>Socket id on /namespace</c>, for logs.</summary>
    public override string ToString() => $"Socket {Id} on {Namespace.Name}";
}
