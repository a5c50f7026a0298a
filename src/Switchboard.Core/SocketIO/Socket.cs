using Microsoft.Extensions.Logging;
using Switchboard.Engine;
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

    internal Socket(Namespace nsp, SocketClient client, SocketHandshake handshake)
    {
        Namespace = nsp;
        Client = client;
        Handshake = handshake;
        Id = EngineServer.NewSessionId();
    }

    /// <summary>The socket id: also the name of the room only this socket is in.</summary>
    public string Id { get; }

    public Namespace Namespace { get; }

    public SocketHandshake Handshake { get; }

    internal SocketClient Client { get; }

    /// <summary>The Engine.IO session under this socket (shared by the client's other namespaces).</summary>
    public EngineSession Connection => Client.Session;

    /// <summary>Free-form data attached to the socket (<c>socket.data</c>).</summary>
    public IDictionary<string, object?> Data => _data ??= new Dictionary<string, object?>(StringComparer.Ordinal);

    public bool Connected => System.Threading.Volatile.Read(ref _connected) == 1;

    /// <summary>Fires once when the socket is disconnected, with the reason.</summary>
    public event Action<Socket, DisconnectReason>? Disconnected;

    /// <summary>The rooms this socket is in, its own id room included.</summary>
    public IReadOnlyCollection<string> Rooms => Namespace.Adapter.RoomsOf(this);

    public void Join(string room) => Namespace.Adapter.Join(this, room);

    public void Join(IEnumerable<string> rooms)
    {
        foreach (var room in rooms)
        {
            Namespace.Adapter.Join(this, room);
        }
    }

    public void Leave(string room) => Namespace.Adapter.Leave(this, room);

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
            Client.Session.Close(EngineCloseReason.ServerClose);
            return;
        }
        Client.Session.SendEncodedMessage(PacketEncoder.Control(SocketPacketType.Disconnect, Namespace.Name));
        OnDisconnect(DisconnectReason.ServerNamespaceDisconnect);
    }

    internal void MarkConnected()
    {
        System.Threading.Volatile.Write(ref _connected, 1);
        Client.Session.SendEncodedMessage(PacketEncoder.Control(SocketPacketType.Connect, Namespace.Name, ConnectReply()));
    }

    private byte[] ConnectReply()
    {
        var bytes = new byte[Id.Length + 10];
        "{\"sid\":\""u8.CopyTo(bytes);
        System.Text.Encoding.ASCII.GetBytes(Id, bytes.AsSpan(8));
        "\"}"u8.CopyTo(bytes.AsSpan(8 + Id.Length));
        return bytes;
    }

    /// <summary>Leaves every room, fails pending acks and tells listeners; runs once.</summary>
    internal void OnDisconnect(DisconnectReason reason)
    {
        if (Interlocked.CompareExchange(ref _connected, 2, 1) != 1)
        {
            return;
        }
        Namespace.Remove(this);
        Client.Remove(this);
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

    public override string ToString() => $"Socket {Id} on {Namespace.Name}";
}
