using System.Text.Json;

namespace Switchboard.SocketIO;

/// <summary>
/// A socket found by <see cref="BroadcastOperator.FetchSocketsAsync"/>, on this node or another one of
/// the cluster (socket.io's <c>RemoteSocket</c>): a snapshot of its id, rooms, data and handshake, and
/// the operations that reach it wherever it is, through its own id room.
/// </summary>
public sealed class RemoteSocket
{
    private readonly Namespace _namespace;

    internal RemoteSocket(Namespace nsp, string id, IReadOnlyCollection<string> rooms, IReadOnlyDictionary<string, object?> data, JsonElement auth, Socket? local)
    {
        _namespace = nsp;
        Id = id;
        Rooms = rooms;
        Data = data;
        Auth = auth;
        Local = local;
    }

    internal static RemoteSocket Of(Socket socket) =>
        new(socket.Namespace, socket.Id, socket.Rooms, new Dictionary<string, object?>(socket.Data), socket.Handshake.Auth, socket);

    public string Id { get; }

    public IReadOnlyCollection<string> Rooms { get; }

    /// <summary><c>socket.data</c> when fetched; from another node, each value is a <see cref="JsonElement"/>.</summary>
    public IReadOnlyDictionary<string, object?> Data { get; }

    /// <summary>The CONNECT packet's auth payload.</summary>
    public JsonElement Auth { get; }

    /// <summary>The socket itself when it is on this node; null when it is on another one.</summary>
    public Socket? Local { get; }

    public ValueTask EmitAsync(string eventName, params object?[] args) => _namespace.To(Id).EmitAsync(eventName, args);

    public ValueTask JoinAsync(params string[] rooms) => _namespace.In(Id).SocketsJoinAsync(rooms);

    public ValueTask LeaveAsync(params string[] rooms) => _namespace.In(Id).SocketsLeaveAsync(rooms);

    public ValueTask DisconnectAsync(bool close = false) => _namespace.In(Id).DisconnectSocketsAsync(close);

    public override string ToString() => $"Socket {Id} on {_namespace.Name}" + (Local is null ? " (remote)" : "");
}
