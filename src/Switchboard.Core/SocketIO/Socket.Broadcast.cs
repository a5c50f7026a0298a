using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>Broadcasts that start from a socket: to rooms, or to everyone but this socket.</summary>
public sealed partial class Socket
{
    /// <summary>Targets a room; the sender itself is excluded, as in socket.io.</summary>
    public BroadcastOperator To(string room) => Broadcast.To(room);

    /// <summary>Broadcasts to the sockets in any of <paramref name="rooms"/>, this one left out.</summary>
    public BroadcastOperator To(IEnumerable<string> rooms) => Broadcast.To(rooms);

    /// <inheritdoc cref="BroadcastOperator.In(string)"/>
    public BroadcastOperator In(string room) => To(room);

    /// <inheritdoc cref="BroadcastOperator.In(IEnumerable{string})"/>
    public BroadcastOperator In(IEnumerable<string> rooms) => To(rooms);

    /// <summary>Broadcasts to everyone but this socket and the sockets in <paramref name="room"/>.</summary>
    public BroadcastOperator Except(string room) => Broadcast.Except(room);

    /// <summary>Broadcasts to everyone but this socket and the sockets in any of <paramref name="rooms"/>.</summary>
    public BroadcastOperator Except(IEnumerable<string> rooms) => Broadcast.Except(rooms);


    /// <summary>Every socket of the namespace except this one.</summary>
    public BroadcastOperator Broadcast => new BroadcastOperator(Namespace).Except(Id);

    /// <summary>Every socket of the namespace on this node except this one (socket.io's <c>socket.local</c>).</summary>
    public BroadcastOperator Local => Broadcast.Local;

    /// <summary>Options for the next emit on this socket alone, e.g. <c>socket.Timeout(...).EmitWithAckAsync(...)</c>.</summary>
    public SocketEmitter Timeout(TimeSpan timeout) => new(this, timeout, false, default);

    /// <summary>The next emit is dropped when the connection cannot take it now (socket.io's <c>socket.volatile</c>).</summary>
    public SocketEmitter Volatile => new(this, null, true, default);

    /// <summary>The next acknowledged emit stops waiting when <paramref name="cancellationToken"/> is cancelled.</summary>
    public SocketEmitter WithCancellation(CancellationToken cancellationToken) => new(this, null, false, cancellationToken);

    /// <summary>socket.io's <c>socket.compress(false).emit(...)</c>: the next emit to this socket goes uncompressed even over the permessage-deflate threshold.</summary>
    public SocketEmitter Compress(bool compress) => new(this, null, false, default, compress);
}

/// <summary>An emit to one socket with options (<see cref="Socket.Timeout"/>, <see cref="Socket.Volatile"/>, <see cref="Socket.WithCancellation"/>); options combine.</summary>
public readonly struct SocketEmitter
{
    private readonly Socket _socket;
    private readonly TimeSpan? _timeout;
    private readonly bool _volatile;
    private readonly CancellationToken _cancellation;
    private readonly bool _uncompressed;

    internal SocketEmitter(Socket socket, TimeSpan? timeout, bool isVolatile, CancellationToken cancellation, bool compress = true)
    {
        _socket = socket;
        _timeout = timeout;
        _volatile = isVolatile;
        _cancellation = cancellation;
        _uncompressed = !compress;
    }

    /// <summary>How long an emit with an acknowledgement waits for it.</summary>
    public SocketEmitter Timeout(TimeSpan timeout) => new(_socket, timeout, _volatile, _cancellation, !_uncompressed);

    /// <summary>Drops the packet if the connection cannot take it right now.</summary>
    public SocketEmitter Volatile => new(_socket, _timeout, true, _cancellation, !_uncompressed);

    /// <summary>Ends the wait for an acknowledgement when <paramref name="cancellationToken"/> is cancelled.</summary>
    public SocketEmitter WithCancellation(CancellationToken cancellationToken) => new(_socket, _timeout, _volatile, cancellationToken, !_uncompressed);

    /// <summary>Whether the packet may be compressed (socket.io's <c>compress</c>).</summary>
    public SocketEmitter Compress(bool compress) => new(_socket, _timeout, _volatile, _cancellation, compress);

    /// <summary>Sends an event and waits for the client's acknowledgement.</summary>
    public Task<SocketArguments> EmitWithAckAsync(string eventName, params EmitArgs args) =>
        _socket.EmitWithAckAsync(eventName, args, _timeout, _cancellation);

    /// <summary>Sends an event and waits for the client's acknowledgement, read as a <typeparamref name="T"/>.</summary>
    public Task<T?> EmitWithAckAsync<T>(string eventName, params EmitArgs args) =>
        Socket.FirstAs<T>(_socket.EmitWithAckAsync(eventName, args, _timeout, _cancellation));

    /// <summary>Sends an event with an acknowledgement callback, which gets the timeout as its error when the client does not answer in time.</summary>
    public void EmitWithAck(string eventName, Action<Exception?, SocketArguments?> ack, params EmitArgs args) =>
        Socket.Callback(_socket.EmitWithAckAsync(eventName, args, _timeout, _cancellation), ack);

    /// <summary>Sends an event to this socket.</summary>
    public void Emit(string eventName, params EmitArgs args)
    {
        if (_volatile && !_socket.Connection.IsWritable)
        {
            return;
        }
        _socket.Emit(eventName, args, compress: !_uncompressed, isVolatile: _volatile);
    }
}
