using System.Text.Json;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// A socket found by <see cref="BroadcastOperator.FetchSocketsAsync"/>, on this node or another one of
/// the cluster (socket.io's <c>RemoteSocket</c>): a snapshot of its id, rooms, data and handshake, and
/// the operations that reach it wherever it is, through its own id room.
/// </summary>
public sealed class RemoteSocket
{
    private readonly Namespace _namespace;

    internal RemoteSocket(Namespace nsp, string id, IReadOnlyCollection<string> rooms, IReadOnlyDictionary<string, object?> data, SocketHandshake handshake, Socket? local)
    {
        _namespace = nsp;
        Id = id;
        Rooms = rooms;
        Data = data;
        Handshake = handshake;
        Local = local;
    }

    internal static RemoteSocket Of(Socket socket) =>
        new(socket.Namespace, socket.Id, socket.Rooms, new Dictionary<string, object?>(socket.Data), socket.Handshake, socket);

    /// <summary>The socket's id.</summary>
    public string Id { get; }

    /// <summary>The rooms it was in when fetched.</summary>
    public IReadOnlyCollection<string> Rooms { get; }

    /// <summary><c>socket.data</c> when fetched; from another node, each value is a <see cref="JsonElement"/>.</summary>
    public IReadOnlyDictionary<string, object?> Data { get; }

    /// <summary>How the socket connected (headers, query, address, auth), wherever it is: socket.io's <c>handshake</c>.</summary>
    public SocketHandshake Handshake { get; }

    /// <summary>The CONNECT packet's auth payload.</summary>
    public JsonElement Auth => Handshake.Auth;

    /// <summary>The socket itself when it is on this node; null when it is on another one.</summary>
    public Socket? Local { get; }

    /// <summary>Sends an event to this socket, wherever it is.</summary>
    public ValueTask EmitAsync(string eventName, params EmitArgs args) => _namespace.To(Id).EmitAsync(eventName, args);

    /// <summary>Makes the socket join <paramref name="rooms"/>, wherever it is.</summary>
    public ValueTask JoinAsync(params string[] rooms) => _namespace.In(Id).SocketsJoinAsync(rooms);

    /// <summary>Makes the socket leave <paramref name="rooms"/>, wherever it is.</summary>
    public ValueTask LeaveAsync(params string[] rooms) => _namespace.In(Id).SocketsLeaveAsync(rooms);

    /// <summary>Disconnects the socket, wherever it is; with <paramref name="close"/>, its whole connection.</summary>
    public ValueTask DisconnectAsync(bool close = false, CancellationToken cancellationToken = default) =>
        _namespace.In(Id).DisconnectSocketsAsync(close, cancellationToken);

    /// <summary>
    /// This socket as a broadcast target whose async calls honour <paramref name="cancellationToken"/>:
    /// <c>remote.WithCancellation(ct).EmitAsync(...)</c>, <c>.SocketsJoinAsync(...)</c>, <c>.SocketsLeaveAsync(...)</c>.
    /// </summary>
    public BroadcastOperator WithCancellation(CancellationToken cancellationToken) => _namespace.To(Id).WithCancellation(cancellationToken);

    /// <summary><c>Socket id on /namespace</c>, for logs.</summary>
    public override string ToString() => $"Socket {Id} on {_namespace.Name}" + (Local is null ? " (remote)" : "");
}
