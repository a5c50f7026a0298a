namespace Switchboard.SocketIO;

/// <summary>Broadcasts that start from a socket: to rooms, or to everyone but this socket.</summary>
public sealed partial class Socket
{
    /// <summary>Targets a room; the sender itself is excluded, as in socket.io.</summary>
    public BroadcastOperator To(string room) => Broadcast.To(room);

    public BroadcastOperator To(IEnumerable<string> rooms) => Broadcast.To(rooms);

    public BroadcastOperator In(string room) => To(room);

    public BroadcastOperator Except(string room) => Broadcast.Except(room);

    /// <summary>Every socket of the namespace except this one.</summary>
    public BroadcastOperator Broadcast => new BroadcastOperator(Namespace).Except(Id);

    /// <summary>Options for the next emit on this socket alone, e.g. <c>socket.Timeout(...).EmitWithAckAsync(...)</c>.</summary>
    public SocketEmitter Timeout(TimeSpan timeout) => new(this, timeout);

    public SocketEmitter Volatile => new(this, null, isVolatile: true);
}

/// <summary>An emit to one socket with options.</summary>
public readonly struct SocketEmitter(Socket socket, TimeSpan? timeout, bool isVolatile = false)
{
    public Task<SocketArguments> EmitWithAckAsync(string eventName, params object?[] args) =>
        socket.EmitWithAckAsync(eventName, args, timeout);

    public void Emit(string eventName, params object?[] args)
    {
        if (isVolatile && !socket.Connection.IsWritable)
        {
            return;
        }
        socket.Emit(eventName, args);
    }
}
