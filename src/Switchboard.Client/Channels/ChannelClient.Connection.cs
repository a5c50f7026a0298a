using Switchboard.Client.Channels.Transports;

namespace Switchboard.Client.Channels;

/// <summary>The connection loop: try the transports in order, run the one that opens, back off and start over after a drop.</summary>
public sealed partial class ChannelClient
{
    private void EnsureStarted()
    {
        lock (_gate)
        {
            if (_state != ChannelClientState.Idle)
            {
                return;
            }
        }
        if (SetState(ChannelClientState.Connecting))
        {
            _loop = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await RunLoopAsync(_disposed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A bug, not a network failure: say so and close, rather than loop on it.
            Logger.ChannelLoopFailed(ex);
            Close(new ChannelClientException("internal", "The channel client's loop failed: " + ex.Message, inner: ex));
        }
    }

    private async Task RunLoopAsync(CancellationToken stop)
    {
        var attempt = 0;
        while (!stop.IsCancellationRequested)
        {
            TimeSpan? retryAfter = null;
            var refreshed = false;
            var transports = Options.Transports;
            for (var i = 0; i < transports.Count && !stop.IsCancellationRequested; i++)
            {
                await FreshTokenAsync(stop).ConfigureAwait(false);
                var connection = Create(transports[i]);
                ChannelClientException? failure = null;
                try
                {
                    using var timeout = new CancellationTokenSource(Options.ConnectTimeout, Options.TimeProvider);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
                    try
                    {
                        await connection.OpenAsync(linked.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stop.IsCancellationRequested)
                    {
                        failure = new ChannelClientException("connect_timeout", $"{HttpRefusal.Name(transports[i])}: not accepted within {Options.ConnectTimeout}", transports[i]) { Fallback = true };
                    }
                }
                catch (ChannelClientException ex)
                {
                    failure = ex;
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or System.Net.WebSockets.WebSocketException)
                {
                    failure = new ChannelClientException("transport_failed", $"{HttpRefusal.Name(transports[i])}: {ex.Message}", transports[i], inner: ex) { Fallback = true };
                }
                if (stop.IsCancellationRequested)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    return;
                }
                if (failure is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    Raise(TransportFailed, failure, nameof(TransportFailed));
                    if (failure.IsAuth && !refreshed && await RefreshAfterAsync(failure, stop).ConfigureAwait(false))
                    {
                        Logger.ChannelTransportFailed(transports[i], failure.Code, failure.Message, "retrying with a new token");
                        refreshed = true;
                        i--;
                        continue;
                    }
                    if (failure.IsAuth || failure.Fatal)
                    {
                        Close(failure);
                        return;
                    }
                    if (!failure.Fallback)
                    {
                        Logger.ChannelTransportFailed(transports[i], failure.Code, failure.Message, "waiting before starting over");
                        retryAfter = failure.RetryAfter;
                        break;
                    }
                    Logger.ChannelTransportFailed(transports[i], failure.Code, failure.Message, i + 1 < transports.Count ? "trying the next transport" : "waiting before starting over");
                    continue;
                }

                lock (_gate)
                {
                    _connection = connection;
                }
                attempt = 0;
                ConnectionEnd end;
                try
                {
                    if (!SetState(ChannelClientState.Connected))
                    {
                        return;
                    }
                    Logger.ChannelConnected(connection.Kind, connection.ConnectionId);
                    end = await connection.RunAsync(stop).ConfigureAwait(false);
                }
                finally
                {
                    lock (_gate)
                    {
                        _connection = null;
                    }
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
                if (stop.IsCancellationRequested)
                {
                    return;
                }
                Logger.ChannelDropped(connection.Kind, end.Code, end.Reason, end.Reconnect);
                Raise(Disconnected, new ChannelDisconnectedEventArgs(connection.Kind, end.Code, end.Reason, end.Reconnect), nameof(Disconnected));
                if (!end.Reconnect)
                {
                    Close(end.Error ?? new ChannelClientException(end.Code, end.Reason ?? end.Code, connection.Kind));
                    return;
                }
                break;
            }
            if (stop.IsCancellationRequested)
            {
                return;
            }
            var delay = Backoff(attempt++, retryAfter);
            // The timer exists before anyone hears of it, so a test that advances a fake clock on the event cannot miss it.
            var wait = Task.Delay(delay, Options.TimeProvider, stop);
            SetState(ChannelClientState.Reconnecting);
            Logger.ChannelReconnecting(attempt, delay);
            Raise(Reconnecting, new ReconnectingEventArgs(attempt, delay), nameof(Reconnecting));
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The n-th delay (from 0): <c>min(max, initial · 2ⁿ)</c> times a random factor from 0.5 to 1.5, as the JS
    /// client and websocket.md recommend; never less than the server's <c>Retry-After</c>.
    /// </summary>
    internal TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var baseMs = Math.Min(Options.ReconnectionDelayMax.TotalMilliseconds, Options.ReconnectionDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        var delay = TimeSpan.FromMilliseconds(Math.Floor(baseMs * (0.5 + Options.Random.NextDouble())));
        return retryAfter is { } floor && floor > delay ? floor : delay;
    }

    private ChannelConnection Create(ChannelTransport transport) => transport switch
    {
        ChannelTransport.WebSocket => new WebSocketChannelConnection(this),
        ChannelTransport.ServerSentEvents => new ServerSentEventsChannelConnection(this),
        _ => new LongPollChannelConnection(this),
    };
}
