using System.Threading.Tasks.Sources;

namespace Switchboard.Engine;

/// <summary>The reader's wait: one reusable waiter, woken from the thread pool's global queue (see the type's remarks).</summary>
internal partial class OutboundQueue<T>
{
    /// <summary>
    /// Completes with true when a frame can be read, false when the queue is completed and empty. One
    /// reader at a time: a call while another wait has not yet been consumed throws
    /// <see cref="InvalidOperationException"/>. Without a cancellable token nothing is allocated or registered.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellation = default)
    {
        lock (Sync)
        {
            if (_hasReader)
            {
                throw new InvalidOperationException("An outbound queue has one reader at a time.");
            }
            if (_count > 0 || _completed)
            {
                return new ValueTask<bool>(_count > 0);
            }
            if (cancellation.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellation);
            }
            _hasReader = true;
        }
        _waiter.Reset();
        var version = _waiter.Version;
        if (cancellation.CanBeCanceled)
        {
            // Registered before the wait is published, so a completion never races the registration.
            _cancellation = cancellation.UnsafeRegister(static (state, token) => ((OutboundQueue<T>)state!).CancelWait(token), this);
        }
        lock (Sync)
        {
            if (_count == 0 && !_completed && !cancellation.IsCancellationRequested)
            {
                _waiting = true;
                // A cancellation could wake the reader in the middle of a direct send: such waits get none.
                _waitCancellable = cancellation.CanBeCanceled;
                return new ValueTask<bool>(this, version);
            }
        }
        DisposeRegistration();
        bool readable;
        lock (Sync)
        {
            _hasReader = false;
            readable = _count > 0;
        }
        return cancellation.IsCancellationRequested ? ValueTask.FromCanceled<bool>(cancellation) : new ValueTask<bool>(readable);
    }

    private void CancelWait(CancellationToken token)
    {
        lock (Sync)
        {
            if (!_waiting)
            {
                return;
            }
            _waiting = false;
        }
        Wake(false, new OperationCanceledException(token));
    }

    /// <summary>Completes the wait from the thread pool's global queue (see the remarks).</summary>
    private void Wake(bool result, Exception? error)
    {
        _wakeResult = result;
        _wakeError = error;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute()
    {
        if (_wakeError is { } error)
        {
            _wakeError = null;
            _waiter.SetException(error);
        }
        else
        {
            _waiter.SetResult(_wakeResult);
        }
    }

    private void DisposeRegistration()
    {
        var registration = _cancellation;
        _cancellation = default;
        registration.Dispose();
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        DisposeRegistration();
        try
        {
            return _waiter.GetResult(token);
        }
        finally
        {
            lock (Sync)
            {
                _hasReader = false;
            }
        }
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
