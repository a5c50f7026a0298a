using Microsoft.Extensions.Logging;

namespace Switchboard.Client;

/// <summary>The connection loop: open, serve until closed, then wait the backoff delay and open again.</summary>
public sealed partial class SocketIOClient
{
    /// <summary>
    /// A reconnection is scheduled: attempt <see cref="ReconnectingEventArgs.Attempt"/> (from 1) starts after
    /// <see cref="ReconnectingEventArgs.Delay"/>. Raised on the connection loop; keep handlers short.
    /// </summary>
    public event Action<ReconnectingEventArgs>? Reconnecting;

    /// <summary>The connection is open again after this many attempts (socket.io-client's <c>reconnect</c>).</summary>
    public event Action<int>? Reconnected;

    /// <summary><see cref="SocketIOClientOptions.ReconnectionAttempts"/> attempts failed: the client stopped trying.</summary>
    public event Action<int>? ReconnectFailed;

    private bool AnyActive => _sockets.Values.Any(s => s.Active);

    private async Task RunAsync()
    {
        try
        {
            await RunLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A bug, not a network failure: say so, and let the next ConnectAsync start afresh.
            Logger.LoopFailed(ex);
            _connection?.Close(DisconnectReason.TransportError);
            Stopped();
        }
    }

    private async Task RunLoopAsync()
    {
        var backoff = new ReconnectBackoff(Options.ReconnectionDelay, Options.ReconnectionDelayMax, Options.RandomizationFactor, Options.Random);
        var stop = _disposed.Token;
        while (!TryStop())
        {
            EngineConnection? connection = null;
            try
            {
                connection = await EngineConnection.OpenAsync(Server, Options, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Stopped();
                return;
            }
            catch (Exception ex)
            {
                Logger.EngineOpenFailed(Server, ex);
                foreach (var socket in _sockets.Values)
                {
                    socket.OnOpenFailed(ex);
                }
            }

            if (connection is not null)
            {
                Logger.EngineOpened(Server, connection.Sid);
                _pendingBinary = null;
                lock (_gate)
                {
                    _connection = connection;
                }
                var attempts = backoff.Attempts;
                backoff.Reset();
                connection.Upgraded = () => Raise(Upgraded);
                connection.Start(OnEnginePacket);
                if (stop.IsCancellationRequested)
                {
                    connection.Close(DisconnectReason.ClientDisconnect);
                }
                if (attempts > 0)
                {
                    Raise(Reconnected, attempts);
                }
                foreach (var socket in _sockets.Values)
                {
                    socket.OnEngineOpen(connection);
                }
                var reason = await connection.Closed.ConfigureAwait(false);
                lock (_gate)
                {
                    _connection = null;
                }
                foreach (var socket in _sockets.Values)
                {
                    socket.OnEngineClose(reason);
                }
                if (reason == DisconnectReason.ClientDisconnect)
                {
                    // Every socket left (or the client is disposed); a socket that came back meanwhile reconnects at once.
                    continue;
                }
            }

            if (!Options.Reconnection || stop.IsCancellationRequested || !AnyActive)
            {
                GiveUp(null);
                Stopped();
                return;
            }
            if (backoff.Attempts >= Options.ReconnectionAttempts)
            {
                Logger.ReconnectFailed(backoff.Attempts);
                GiveUp(backoff.Attempts);
                Stopped();
                return;
            }
            var delay = backoff.Next();
            // The timer exists before anyone hears of it, so a test that advances a fake clock on the event cannot miss it.
            var wait = Task.Delay(delay, Options.TimeProvider, stop);
            Logger.Reconnecting(backoff.Attempts, delay);
            Raise(Reconnecting, new ReconnectingEventArgs(backoff.Attempts, delay));
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Stopped();
                return;
            }
        }
    }

    /// <summary>Whether the loop ends now (disposed, or no socket wants a connection); decided under the lock <see cref="EnsureRunning"/> takes.</summary>
    private bool TryStop()
    {
        lock (_gate)
        {
            if (!_disposed.IsCancellationRequested && AnyActive)
            {
                return false;
            }
            _running = false;
            return true;
        }
    }

    private void Stopped()
    {
        lock (_gate)
        {
            _running = false;
        }
    }

    private void GiveUp(int? attempts)
    {
        if (attempts is { } n)
        {
            Raise(ReconnectFailed, n);
        }
        foreach (var socket in _sockets.Values)
        {
            socket.OnGaveUp(attempts);
        }
    }

    internal void Raise(Action? handler)
    {
        try
        {
            handler?.Invoke();
        }
        catch (Exception ex)
        {
            Logger.HandlerFailed("(event)", "(client)", ex);
        }
    }

    internal void Raise<T>(Action<T>? handler, T value)
    {
        try
        {
            handler?.Invoke(value);
        }
        catch (Exception ex)
        {
            Logger.HandlerFailed(typeof(T).Name, "(client)", ex);
        }
    }
}

/// <summary>A scheduled reconnection attempt.</summary>
/// <param name="Attempt">The attempt's number, from 1.</param>
/// <param name="Delay">How long the client waits before it.</param>
public readonly record struct ReconnectingEventArgs(int Attempt, TimeSpan Delay);
