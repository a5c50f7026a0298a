using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Switchboard.Channels;
using Switchboard.Protocols;
using Switchboard.Protocols.Plain;
using Switchboard.Logging;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.Transports.PlainWebSocket;

/// <summary>
/// One client of the plain WebSocket protocol (docs/protocols/websocket.md). The read loop carries out
/// the client's requests one at a time; the one WebSocket write loop (<see cref="WebSocketWriter"/>)
/// drains the connection's queue: publications, discontinuities, replies and the close. A reply is
/// queued behind every push queued before its request completed, so after a <c>subscribe</c> reply the
/// client holds every replayed publication, and after an <c>unsubscribe</c> reply nothing more of that
/// channel comes; replies weigh against the byte budget like pushes.
/// </summary>
internal sealed partial class PlainWebSocketConnection : ChannelConnection
{
    private static readonly TimeSpan CloseGracePeriod = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly LogThrottle _refusals;
    private readonly PlainWebSocketOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action _abort;
    private readonly TimeProvider _time;
    private readonly Lock _abortLock = new();
    private bool _disposed;
    private CloseInfo? _close;


    /// <summary>A connection of the plain WebSocket protocol over an accepted <paramref name="socket"/>.</summary>
    /// <param name="hub">The channels it reaches (one namespace's).</param>
    /// <param name="refusals">How often a refused request is logged (the server's throttle).</param>
    /// <param name="grant">What the client may subscribe to and publish on.</param>
    /// <param name="socket">The accepted WebSocket.</param>
    /// <param name="options">Queue budget, send timeout and heartbeat.</param>
    /// <param name="logger">Where the connection's problems are logged.</param>
    /// <param name="time">The clock for the heartbeat and send timeout.</param>
    /// <param name="abort">Drops the underlying connection (<c>HttpContext.Abort</c>): the one thing that frees a send blocked by a client that stopped reading.</param>
    public PlainWebSocketConnection(ChannelHub hub, LogThrottle refusals, ChannelGrant grant, WebSocket socket, PlainWebSocketOptions options, ILogger logger, TimeProvider time, Action abort)
        : base(hub, "websocket", grant)
    {
        MaxQueued = options.MaxQueued;
        _refusals = refusals;
        _socket = socket;
        _options = options;
        _logger = logger;
        _abort = abort;
        _time = time;
        _publishes = options.PublishesPerSecond > 0 ? new PlainWebSocketRateLimiter(options.PublishesPerSecond, options.PublishBurst, time) : null;
        _invalidFrames = new PlainWebSocketRateLimiter(options.InvalidFramesPerSecond, options.InvalidFrameBurst, time);
    }

    /// <summary>Ends the connection from the server side: a <c>close</c> frame with <paramref name="reason"/>, then the WebSocket close. The first reason given wins.</summary>
    public void Close(DisconnectCode reason, string message)
    {
        SettleClose(reason, message);
        Disconnect(reason, message);
    }

    /// <summary>
    /// Over its budget: the reason is settled (and logged) now, not when the writer reaches the close
    /// message, which it never does while a write is stuck on a client that stopped reading.
    /// </summary>
    protected override void OnSlowConsumer() => SettleClose(DisconnectCode.SlowConsumer, Describe(DisconnectCode.SlowConsumer));

    /// <summary>Runs the connection until it ends, then leaves its channels.</summary>
    public async Task RunAsync(CancellationToken aborted)
    {
        try
        {
            using (aborted.Register(static stop => ((CancellationTokenSource)stop!).Cancel(), _stop))
            {
                PlainWebSocketLog.Connected(_logger, ConnectionId, Hub.Name);
                QueueFrame(Encode(w => PlainFrameWriter.WriteWelcome(w, ConnectionId, _options.MaxMessageSize)));
                var writing = WebSocketWriter.RunAsync<Outbound, ChannelMessage>(new Outbound(this), null);
                CloseInfo ended;
                try
                {
                    ended = await ReadLoopAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not (WebSocketException or OperationCanceledException or IOException or ObjectDisposedException))
                {
                    PlainWebSocketLog.ConnectionFailed(_logger, ConnectionId, ex);
                    ended = new CloseInfo(DisconnectCode.Internal, "internal server error");
                }
                Close(ended.Reason, ended.Message);
                await writing.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Close(DisconnectCode.ClientClosed, "connection lost: " + ex.Message);
        }
        finally
        {
            var close = _close ?? new CloseInfo(DisconnectCode.ClientClosed, "connection ended");
            PlainWebSocketLog.Closed(_logger, ConnectionId, $"{close.Reason.Code}: {close.Message}");
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs the one WebSocket read loop with this connection's requests; returns why it ended.</summary>
    private async Task<CloseInfo> ReadLoopAsync()
    {
        using var reader = new WebSocketMessageReader(_socket, _options.MaxMessageSize);
        var inbound = new Inbound(this, reader);
        await WebSocketReadLoop.RunAsync(inbound, reader, _stop.Token).ConfigureAwait(false);
        return inbound.Ended!;
    }

    /// <summary>The connection as the one WebSocket read loop sees it: each message a request, and why reading ended.</summary>
    private sealed class Inbound(PlainWebSocketConnection connection, WebSocketMessageReader reader) : IWebSocketInbound
    {
        private bool _flooded;

        public CloseInfo? Ended { get; private set; }

        public bool StopReading => false;

        public async ValueTask<bool> OnMessageAsync(WebSocketRead message)
        {
            if (connection.IsClosed)
            {
                // The server is closing: requests are no longer served, only the client's close frame is awaited.
                return true;
            }
            connection.CountReceived(1, message.Data.Length);
            if (await connection.HandleAsync(message).ConfigureAwait(false))
            {
                return true;
            }
            _flooded = true;
            return false;
        }

        public bool IsTransportFailure(Exception exception) =>
            exception is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException;

        public async Task OnReadEndedAsync(WebSocketReadEnd end, Exception? error)
        {
            try
            {
                Ended = end switch
                {
                    WebSocketReadEnd.ClosedByClient => new CloseInfo(DisconnectCode.ClientClosed, "closed by the client"),
                    WebSocketReadEnd.TooLarge => await connection.OnTooLargeAsync(reader).ConfigureAwait(false),
                    WebSocketReadEnd.Stopped when _flooded => await connection.OnFloodAsync(reader).ConfigureAwait(false),
                    WebSocketReadEnd.Failed => Lost(error!),
                    _ => new CloseInfo(DisconnectCode.ClientClosed, "connection ended"),
                };
            }
            catch (Exception ex) when (IsTransportFailure(ex))
            {
                Ended = Lost(ex);
            }
        }

        private static CloseInfo Lost(Exception error) =>
            new(DisconnectCode.ClientClosed, error is OperationCanceledException ? "connection ended" : "connection lost: " + error.Message);
    }

    private Task<CloseInfo> OnTooLargeAsync(WebSocketMessageReader reader)
    {
        if (ShouldLogRefusal("plain websocket message too large"))
        {
            PlainWebSocketLog.TooLarge(_logger, ConnectionId, _options.MaxMessageSize);
        }
        return CloseOnViolationAsync(reader, DisconnectCode.TooLarge, $"message larger than {_options.MaxMessageSize} bytes");
    }

    private Task<CloseInfo> OnFloodAsync(WebSocketMessageReader reader)
    {
        if (ShouldLogRefusal("plain websocket invalid frame flood"))
        {
            PlainWebSocketLog.InvalidFrameFlood(_logger, ConnectionId);
        }
        return CloseOnViolationAsync(reader, DisconnectCode.BadRequest, "too many invalid frames");
    }

    /// <summary>
    /// Closes for a protocol violation and keeps reading (dropping the data) until the client answers the
    /// close, so the close frame is not lost to a TCP reset while the client is still sending.
    /// </summary>
    private async Task<CloseInfo> CloseOnViolationAsync(WebSocketMessageReader reader, DisconnectCode reason, string message)
    {
        Close(reason, message);
        await reader.DiscardUntilClosedAsync(_stop.Token).ConfigureAwait(false);
        return _close!;
    }

    /// <summary>Handles one message; false when the client has sent too many invalid frames.</summary>
    private async ValueTask<bool> HandleAsync(WebSocketRead read)
    {
        PlainError error;
        if (read.Type == WebSocketMessageType.Binary)
        {
            error = new PlainError(PlainErrorCode.BadRequest, "binary frames are not supported: send JSON text frames");
        }
        else if (PlainRequestReader.TryRead(read.Data, out var request, out error))
        {
            await ExecuteAsync(request).ConfigureAwait(false);
            return true;
        }
        if (ShouldLogRefusal($"plain websocket invalid frame {error.Code.ToWireName()}"))
        {
            PlainWebSocketLog.InvalidFrame(_logger, ConnectionId, error.Code.ToWireName(), error.Message);
        }
        if (!_invalidFrames.TryTake())
        {
            return false;
        }
        await ReplyAsync(Encode(w => PlainFrameWriter.WriteError(w, error.Id.Span, error.Code, error.Message))).ConfigureAwait(false);
        return true;
    }

    /// <summary>Queues a reply behind every push queued before it, so it follows them.</summary>
    private ValueTask ReplyAsync(byte[] reply)
    {
        QueueFrame(reply);
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends one queued message. Once closed, queued publications and replies are dropped.</summary>
    private async ValueTask SendMessageAsync(ChannelMessage message)
    {
        switch (message.Kind)
        {
            case ChannelMessageKind.Publication when !IsClosed:
                await SendFrameAsync(PlainWebSocketFrames.Publication(message.Entry)).ConfigureAwait(false);
                break;
            case ChannelMessageKind.Frame when !IsClosed:
                await SendFrameAsync(message.Frame).ConfigureAwait(false);
                break;
            case ChannelMessageKind.Discontinuity when !IsClosed:
                var top = message.Top;
                await SendFrameAsync(Encode(w => PlainFrameWriter.WriteDiscontinuity(w, message.Channel!, top.Offset, top.Epoch))).ConfigureAwait(false);
                break;
            case ChannelMessageKind.Close:
                var close = SettleClose(message.Code ?? DisconnectCode.Disconnected, message.Reason ?? "disconnected");
                if (close.Reason.Notifies && _socket.State == WebSocketState.Open)
                {
                    await SendFrameAsync(Encode(w => PlainFrameWriter.WriteClose(w, close.Reason, close.Message))).ConfigureAwait(false);
                }
                break;
        }
    }

    /// <summary>The queue is complete, so its close message has been handled and <see cref="_close"/> is settled: the close handshake.</summary>
    private async Task CloseOutputAsync()
    {
        var close = _close ?? new CloseInfo(DisconnectCode.ClientClosed, "connection ended");
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            var description = close.Reason == DisconnectCode.ClientClosed ? null : close.Reason.Code;
            BeginSend();
            await _socket.CloseOutputAsync((WebSocketCloseStatus)close.Reason.Status, description, _stop.Token).ConfigureAwait(false);
            EndSend();
        }
        // Give the client a moment to answer the close before the read side is abandoned.
        _stop.CancelAfter(CloseGracePeriod);
    }

    /// <summary>
    /// The connection as the one WebSocket write loop sees it: its queue, one send per message (each
    /// timed on its own), and the close handshake once the queue is done.
    /// </summary>
    private readonly struct Outbound(PlainWebSocketConnection connection) : IWebSocketOutbound<ChannelMessage>
    {
        public ValueTask<bool> WaitAsync() => connection.WaitAsync(connection._stop.Token);

        public ValueTask TakeUnfinishedSend() => ValueTask.CompletedTask;

        public bool TryTake(out ChannelMessage item) => connection.TryTake(out item);

        public long Weigh(in ChannelMessage item, out int messages)
        {
            messages = 1;
            return item.Kind switch
            {
                ChannelMessageKind.Publication => item.Entry.Publication.Data.Length,
                ChannelMessageKind.Frame => item.Frame!.Length,
                _ => 64,
            };
        }

        public ValueTask SendAsync(ChannelMessage item, bool last) => connection.SendMessageAsync(item);

        public void OnSent(long messages, long bytes) => connection.CountSent(messages, bytes);

        // Each message is timed as it is sent (SendFrameAsync).
        public void BeginSend()
        {
        }

        public void EndSend()
        {
        }

        public Task OnDrainedAsync() => connection.CloseOutputAsync();

        public bool IsTransportFailure(Exception exception) =>
            exception is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException;

        public void OnSendFailed(Exception exception)
        {
            connection.Close(DisconnectCode.ClientClosed, "connection lost: " + exception.Message);
            connection._stop.Cancel();
        }

        public Task OnStoppedAsync() => Task.CompletedTask;
    }

    /// <summary>The close reason: the one given to <see cref="Close"/>, or else the one the base class queued (a slow consumer, the application, the HTTP API).</summary>
    private CloseInfo SettleClose(DisconnectCode kind, string reason)
    {
        if (_close is null)
        {
            if (Interlocked.CompareExchange(ref _close, new CloseInfo(kind, reason), null) is null)
            {
                PlainWebSocketLog.Disconnecting(_logger, ConnectionId, kind.Code, reason);
            }
        }
        return _close!;
    }

    /// <summary>
    /// Sends one text message. Its start is noted for the hub's periodic scan, which drops the
    /// connection when a send takes longer than its <see cref="ChannelConnection.SendTimeout"/>.
    /// </summary>
    private async ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame)
    {
        BeginSend();
        var flags = frame.Length < _options.PerMessageDeflate.SendThreshold
            ? WebSocketMessageFlags.EndOfMessage | WebSocketMessageFlags.DisableCompression
            : WebSocketMessageFlags.EndOfMessage;
        await _socket.SendAsync(frame, WebSocketMessageType.Text, flags, _stop.Token).ConfigureAwait(false);
        EndSend();
    }

    /// <summary>
    /// A send is stuck: the client stopped reading and the network buffers are full. Only dropping the
    /// connection frees it; the client is then a slow consumer that may reconnect and resume.
    /// </summary>
    protected override void OnSendTimeout()
    {
        // Under the lock, so the connection cannot be aborted once disposal (the end of its request) began.
        lock (_abortLock)
        {
            if (_disposed || _stop.IsCancellationRequested)
            {
                return;
            }
            PlainWebSocketLog.SendTimedOut(_logger, ConnectionId, SendTimeout);
            Close(DisconnectCode.SlowConsumer, $"a send took longer than {SendTimeout.TotalSeconds:0.###} s");
            _abort();
            _stop.Cancel();
        }
    }

    private static byte[] Encode(Action<IBufferWriter<byte>> write) => PlainWebSocketFrames.Encode(write);

    public override async ValueTask DisposeAsync()
    {
        lock (_abortLock)
        {
            _disposed = true;
        }
        await base.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed record CloseInfo(DisconnectCode Reason, string Message);
}
