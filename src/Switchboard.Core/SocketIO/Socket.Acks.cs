using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>Acknowledgements of events this server sent.</summary>
public sealed partial class Socket
{
    private Dictionary<long, Action<SocketArguments?, DisconnectReason?>>? _pendingAcks;
    private long _nextAckId;

    /// <summary>
    /// Sends an event and waits for the client's acknowledgement. Fails with
    /// <see cref="SocketAckTimeoutException"/> after <paramref name="timeout"/> (when given), or
    /// <see cref="SocketDisconnectedException"/> if the socket goes first.
    /// </summary>
    public Task<SocketArguments> EmitWithAckAsync(string eventName, object?[] args, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
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
        if (!Send(PacketEncoder.Event(Namespace.Name, eventName, args, id)))
        {
            RemoveAck(id);
            completion.TrySetException(new SocketDisconnectedException(DisconnectReason.TransportClose));
        }
        return WithTimeout(completion.Task, id, timeout, cancellationToken);
    }

    public Task<SocketArguments> EmitWithAckAsync(string eventName, params object?[] args) => EmitWithAckAsync(eventName, args, null);

    /// <summary>Like <see cref="EmitWithAckAsync(string, object?[], TimeSpan?, CancellationToken)"/>, reading the first acknowledgement argument as <typeparamref name="T"/>.</summary>
    public async Task<T?> EmitWithAckAsync<T>(string eventName, object?[] args, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var response = await EmitWithAckAsync(eventName, args, timeout, cancellationToken).ConfigureAwait(false);
        return response.Count > 0 ? response.Get<T>(0) : default;
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
