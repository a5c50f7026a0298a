using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>Acknowledgements of events this server sent.</summary>
public sealed partial class Socket
{
    private Dictionary<long, Action<SocketArguments?, DisconnectReason?>>? _pendingAcks;
    private long _nextAckId;

    /// <summary>
    /// Sends an event and waits for the client's acknowledgement (socket.io's <c>emitWithAck</c>). Fails with
    /// <see cref="SocketDisconnectedException"/> if the socket goes first; set a time limit with
    /// <see cref="Timeout(TimeSpan)"/>, after which it fails with <see cref="SocketAckTimeoutException"/>.
    /// </summary>
    public Task<SocketArguments> EmitWithAckAsync(string eventName, params EmitArgs args) => EmitWithAckAsync(eventName, args, null, default);

    /// <summary>Like <see cref="EmitWithAckAsync(string, EmitArgs)"/>, reading the first acknowledgement argument as <typeparamref name="T"/>.</summary>
    public Task<T?> EmitWithAckAsync<T>(string eventName, params EmitArgs args) => FirstAs<T>(EmitWithAckAsync(eventName, args, null, default));

    /// <summary>The shape before <see cref="EmitArgs"/>: it would now send the array and the timeout as arguments, so it does not compile.</summary>
    [Obsolete("Arguments are EmitArgs now: use socket.Timeout(timeout).WithCancellation(ct).EmitWithAckAsync(eventName, [.. args]) (docs/decisions/0006).", error: true)]
    public Task<SocketArguments> EmitWithAckAsync(string eventName, object?[] args, TimeSpan? timeout, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    /// <inheritdoc cref="EmitWithAckAsync(string, object?[], TimeSpan?, CancellationToken)"/>
    [Obsolete("Arguments are EmitArgs now: use socket.Timeout(timeout).WithCancellation(ct).EmitWithAckAsync<T>(eventName, [.. args]) (docs/decisions/0006).", error: true)]
    public Task<T?> EmitWithAckAsync<T>(string eventName, object?[] args, TimeSpan? timeout, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    /// <summary>
    /// Sends an event with an acknowledgement callback (socket.io's <c>socket.emit(name, ...args, callback)</c>):
    /// <paramref name="ack"/> runs once, with the client's answer, or with the error (a disconnect, or the
    /// timeout set by <see cref="Timeout(TimeSpan)"/>) and null.
    /// </summary>
    public void EmitWithAck(string eventName, Action<Exception?, SocketArguments?> ack, params EmitArgs args) =>
        Callback(EmitWithAckAsync(eventName, args, null, default), ack);

    internal static async Task<T?> FirstAs<T>(Task<SocketArguments> pending)
    {
        var response = await pending.ConfigureAwait(false);
        return response.Count > 0 ? response.Get<T>(0) : default;
    }

    internal static void Callback<T>(Task<T> pending, Action<Exception?, T?> callback) where T : class
    {
        ArgumentNullException.ThrowIfNull(callback);
        pending.ContinueWith(static (task, state) =>
        {
            var cb = (Action<Exception?, T?>)state!;
            if (task.IsCompletedSuccessfully)
            {
                cb(null, task.Result);
            }
            else
            {
                cb(task.Exception?.InnerException ?? new OperationCanceledException(), null);
            }
        }, callback, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    internal Task<SocketArguments> EmitWithAckAsync(string eventName, EmitArgs args, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ReservedEvents.ThrowIfReserved(eventName);
        var completion = new TaskCompletionSource<SocketArguments>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Interlocked.Increment(ref _nextAckId) - 1;
        RegisterAck(id, (response, reason) =>
        {
            if (response is not null)
            {
                completion.TrySetResult(response);
            }
            else
            {
                completion.TrySetException(new SocketDisconnectedException(reason ?? DisconnectReason.TransportClose));
            }
        });
        if (!Send(PacketEncoder.Event(Namespace.Name, eventName, args.AsSpan(), id)))
        {
            RemoveAck(id);
            completion.TrySetException(new SocketDisconnectedException(DisconnectReason.TransportClose));
        }
        return WithTimeout(completion.Task, id, timeout, cancellationToken);
    }

    private async Task<SocketArguments> WithTimeout(Task<SocketArguments> task, long id, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        try
        {
            return timeout is { } t
                ? await task.WaitAsync(t, Namespace.Server.Time, cancellationToken).ConfigureAwait(false)
                : await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            RemoveAck(id);
            throw new SocketAckTimeoutException($"No acknowledgement from socket {Id} within {timeout}.");
        }
        catch (OperationCanceledException)
        {
            RemoveAck(id);
            throw;
        }
    }

    internal void RegisterAck(long id, Action<SocketArguments?, DisconnectReason?> callback)
    {
        lock (this)
        {
            (_pendingAcks ??= [])[id] = callback;
        }
    }

    private void RemoveAck(long id)
    {
        lock (this)
        {
            _pendingAcks?.Remove(id);
        }
    }

    internal void OnAck(SocketPacket packet, SocketArguments args)
    {
        Action<SocketArguments?, DisconnectReason?>? callback = null;
        lock (this)
        {
            if (_pendingAcks is not null && _pendingAcks.Remove(packet.AckId, out var found))
            {
                callback = found;
            }
        }
        if (callback is null)
        {
            Namespace.Server.Log.UnknownAck(Id, packet.AckId);
            return;
        }
        callback(args, null);
    }

    private void FailPendingAcks(DisconnectReason reason)
    {
        Action<SocketArguments?, DisconnectReason?>[] callbacks;
        lock (this)
        {
            if (_pendingAcks is null || _pendingAcks.Count == 0)
            {
                return;
            }
            callbacks = [.. _pendingAcks.Values];
            _pendingAcks.Clear();
        }
        foreach (var callback in callbacks)
        {
            callback(null, reason);
        }
    }
}
