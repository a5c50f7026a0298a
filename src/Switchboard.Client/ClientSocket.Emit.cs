using Microsoft.Extensions.Logging;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Client;

/// <summary>Emits, acknowledgements and the offline buffer.</summary>
public sealed partial class ClientSocket
{
    private readonly List<BufferedPacket> _sendBuffer = [];
    private readonly Dictionary<long, PendingAck> _acks = [];
    private long _nextAckId;

    private sealed record BufferedPacket(OutgoingPacket Packet, long AckId);

    private sealed class PendingAck(TaskCompletionSource<ReceivedArguments> completion)
    {
        public TaskCompletionSource<ReceivedArguments> Completion { get; } = completion;

        /// <summary>Whether the packet left (a disconnect fails it) or still waits in the offline buffer (it survives).</summary>
        public bool Sent { get; set; }
    }

    /// <summary>
    /// Sends an event. While the socket is not connected the packet waits in the offline buffer and goes
    /// out when it (re)connects; when the buffer is full this throws <see cref="OfflineBufferFullException"/>.
    /// </summary>
    public void Emit(string eventName, params EmitArgs args) => Send(eventName, args, null);

    /// <summary>
    /// Sends an event and waits for the server's acknowledgement (socket.io-client's <c>emitWithAck</c>),
    /// without a time limit: set one with <see cref="Timeout"/>. Fails with <see cref="SocketDisconnectedException"/>
    /// when the connection is lost after the packet left.
    /// </summary>
    public Task<ReceivedArguments> EmitWithAckAsync(string eventName, params EmitArgs args) =>
        EmitWithAckAsync(eventName, args, null, default);

    /// <summary>Like <see cref="EmitWithAckAsync(string, EmitArgs)"/>, reading the first acknowledgement argument as <typeparamref name="T"/>.</summary>
    public Task<T?> EmitWithAckAsync<T>(string eventName, params EmitArgs args) =>
        FirstAs<T>(EmitWithAckAsync(eventName, args, null, default));

    /// <summary>Options for the next acknowledged emit: <c>socket.Timeout(t).EmitWithAckAsync(...)</c> fails with <see cref="SocketAckTimeoutException"/> after <paramref name="timeout"/>.</summary>
    public ClientEmitter Timeout(TimeSpan timeout) => new(this, timeout, default);

    /// <summary>Options for the next acknowledged emit: it stops waiting when <paramref name="cancellationToken"/> is cancelled.</summary>
    public ClientEmitter WithCancellation(CancellationToken cancellationToken) => new(this, null, cancellationToken);

    internal static async Task<T?> FirstAs<T>(Task<ReceivedArguments> pending)
    {
        var response = await pending.ConfigureAwait(false);
        return response.Count > 0 ? response.Get<T>(0) : default;
    }

    internal async Task<ReceivedArguments> EmitWithAckAsync(string eventName, EmitArgs args, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<ReceivedArguments>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Send(eventName, args, completion);
        try
        {
            return timeout is { } t
                ? await completion.Task.WaitAsync(t, _client.Options.TimeProvider, cancellationToken).ConfigureAwait(false)
                : await completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Forget(id);
            throw new SocketAckTimeoutException($"No acknowledgement of '{eventName}' on {Namespace} within {timeout}.");
        }
        catch (OperationCanceledException)
        {
            Forget(id);
            throw;
        }
    }

    private long Send(string eventName, EmitArgs args, TaskCompletionSource<ReceivedArguments>? ack)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        if (SocketPacketReader.IsReservedEvent(eventName))
        {
            throw new ArgumentException($"'{eventName}' is a reserved event name.", nameof(eventName));
        }
        lock (_lock)
        {
            var id = ack is null ? SocketPacket.NoAck : _nextAckId++;
            var packet = OutgoingPacket.Event(Namespace, eventName, args.AsSpan(), id);
            var sent = IsConnected && _connectSentOn is { } connection && connection.Send(packet);
            if (!sent)
            {
                if (_sendBuffer.Count >= _client.Options.OfflineBufferLimit)
                {
                    throw new OfflineBufferFullException(_client.Options.OfflineBufferLimit);
                }
                _sendBuffer.Add(new BufferedPacket(packet, id));
            }
            if (ack is not null)
            {
                _acks[id] = new PendingAck(ack) { Sent = sent };
            }
            return id;
        }
    }

    /// <summary>Drops an acknowledged emit that timed out or was cancelled, from the buffer too if it never left.</summary>
    private void Forget(long id)
    {
        lock (_lock)
        {
            _acks.Remove(id);
            _sendBuffer.RemoveAll(b => b.AckId == id);
        }
    }

    private void FlushSendBuffer()
    {
        lock (_lock)
        {
            if (_connectSentOn is not { } connection)
            {
                return;
            }
            var sent = 0;
            foreach (var buffered in _sendBuffer)
            {
                if (!connection.Send(buffered.Packet))
                {
                    break;
                }
                if (buffered.AckId >= 0 && _acks.TryGetValue(buffered.AckId, out var pending))
                {
                    pending.Sent = true;
                }
                sent++;
            }
            _sendBuffer.RemoveRange(0, sent);
        }
    }

    internal void SendAck(long ackId, EmitArgs args)
    {
        lock (_lock)
        {
            if (IsConnected && _connectSentOn is { } connection)
            {
                connection.Send(OutgoingPacket.Ack(Namespace, ackId, args.AsSpan()));
            }
        }
    }

    private void OnAck(SocketPacket packet, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        PendingAck? pending;
        lock (_lock)
        {
            _acks.Remove(packet.AckId, out pending);
        }
        if (pending is null)
        {
            Logger.UnknownAck(packet.AckId, Namespace);
            return;
        }
        if (ReceivedArguments.TryCreate(packet.Data, hasName: false, attachments, out _, out var args))
        {
            pending.Completion.TrySetResult(args!);
        }
    }

    private void FailAcks(DisconnectReason reason, bool sentOnly)
    {
        List<PendingAck> failed = [];
        lock (_lock)
        {
            foreach (var (id, pending) in _acks)
            {
                if (!sentOnly || pending.Sent)
                {
                    failed.Add(pending);
                    _acks.Remove(id);
                }
            }
        }
        foreach (var pending in failed)
        {
            pending.Completion.TrySetException(new SocketDisconnectedException(reason));
        }
    }
}

/// <summary>An acknowledged emit with options (<see cref="ClientSocket.Timeout"/>, <see cref="ClientSocket.WithCancellation"/>); options combine.</summary>
public readonly struct ClientEmitter
{
    private readonly ClientSocket _socket;
    private readonly TimeSpan? _timeout;
    private readonly CancellationToken _cancellation;

    internal ClientEmitter(ClientSocket socket, TimeSpan? timeout, CancellationToken cancellation)
    {
        _socket = socket;
        _timeout = timeout;
        _cancellation = cancellation;
    }

    public ClientEmitter Timeout(TimeSpan timeout) => new(_socket, timeout, _cancellation);

    public ClientEmitter WithCancellation(CancellationToken cancellationToken) => new(_socket, _timeout, cancellationToken);

    /// <summary>Sends the event and waits for the acknowledgement within the options' limits.</summary>
    public Task<ReceivedArguments> EmitWithAckAsync(string eventName, params EmitArgs args) =>
        _socket.EmitWithAckAsync(eventName, args, _timeout, _cancellation);

    /// <summary>Like <see cref="EmitWithAckAsync(string, EmitArgs)"/>, reading the first acknowledgement argument as <typeparamref name="T"/>.</summary>
    public Task<T?> EmitWithAckAsync<T>(string eventName, params EmitArgs args) =>
        ClientSocket.FirstAs<T>(_socket.EmitWithAckAsync(eventName, args, _timeout, _cancellation));
}
