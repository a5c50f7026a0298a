using System.IO.Pipelines;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;
using Switchboard.AspNetCore.Shared;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.AspNetCore.Transports.Direct;

/// <summary>
/// A server WebSocket framed by hand (Protocols' RFC 6455 codec) on a Kestrel connection's own pipes, for
/// the direct hosting mode (docs/decisions/0015-own-the-connection.md). It is a <see cref="WebSocket"/>, so
/// the Engine.IO and plain transports, their read loop and their write loop run over it unchanged; it
/// batches like <see cref="GatheringStream"/> (frames written into the pipe, one flush per batch) and takes
/// a broadcast's frame built once, header included, as it is. No extension is negotiated (no permessage-deflate),
/// no subprotocol. A client that breaks the framing gets the close code RFC 6455 names (1002, 1007, 1009)
/// and the connection ends.
/// </summary>
internal sealed partial class PipeWebSocket(ConnectionContext connection, long maxMessageSize) : WebSocket, IWriteBatching
{
    private readonly PipeReader _input = connection.Transport.Input;
    private readonly PipeWriter _output = connection.Transport.Output;

    private volatile WebSocketState _state = WebSocketState.Open;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeDescription;

    public override WebSocketCloseStatus? CloseStatus => _closeStatus;

    public override string? CloseStatusDescription => _closeDescription;

    public override WebSocketState State => _state;

    public override string? SubProtocol => null;

    /// <summary>The largest message the client may send; a frame that would pass it closes with 1009.</summary>
    public long MaxMessageSize => maxMessageSize;

    private ITimer? _keepAlive;
    private TimeSpan _keepAliveTimeout;
    private long _pingSentAt = -1;

    /// <summary>
    /// Pings the client every <paramref name="interval"/> (none when zero), as <see cref="WebSocket"/>'s keep-alive does
    /// for the plain protocol; a client whose pong has not come <paramref name="timeout"/> after a ping is dropped
    /// (checked at the next tick). Engine.IO has its own heartbeat and never starts this.
    /// </summary>
    public void StartKeepAlive(TimeSpan interval, TimeSpan timeout, TimeProvider time)
    {
        if (interval <= TimeSpan.Zero)
        {
            return;
        }
        _keepAliveTimeout = timeout;
        _keepAlive = time.CreateTimer(static state => ((PipeWebSocket)state!).OnKeepAlive(), this, interval, interval);
    }

    private void OnKeepAlive()
    {
        if (_state is not WebSocketState.Open)
        {
            _keepAlive?.Dispose();
            return;
        }
        var sent = Interlocked.Read(ref _pingSentAt);
        if (sent >= 0 && _keepAliveTimeout > TimeSpan.Zero && Environment.TickCount64 - sent >= (long)_keepAliveTimeout.TotalMilliseconds)
        {
            Abort();
            return;
        }
        if (sent < 0)
        {
            Interlocked.Exchange(ref _pingSentAt, Environment.TickCount64);
        }
        _ = PingAsync();
    }

    private async Task PingAsync()
    {
        try
        {
            await SendControlAsync(Protocols.WebSockets.WebSocketOpcode.Ping, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
        }
        catch (WebSocketException)
        {
        }
    }

    /// <summary>A pong arrived: the client is alive.</summary>
    private void OnPong() => Interlocked.Exchange(ref _pingSentAt, -1);

    /// <summary>Drops the connection at once (a stuck write, a client given up on); a pending read ends.</summary>
    public override void Abort()
    {
        if (_state is not WebSocketState.Closed)
        {
            _state = WebSocketState.Aborted;
        }
        _input.CancelPendingRead();
        connection.Abort(new ConnectionAbortedException("WebSocket aborted"));
    }

    public override void Dispose()
    {
        _keepAlive?.Dispose();
        if (_state is WebSocketState.Open or WebSocketState.CloseSent or WebSocketState.CloseReceived)
        {
            _state = WebSocketState.Closed;
        }
    }

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        CloseAndWaitAsync(closeStatus, statusDescription, cancellationToken);

    private async Task CloseAndWaitAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellation)
    {
        await CloseOutputAsync(closeStatus, statusDescription, cancellation).ConfigureAwait(false);
        var buffer = new byte[256];
        while (_state is WebSocketState.CloseSent)
        {
            await ReceiveAsync(buffer.AsMemory(), cancellation).ConfigureAwait(false);
        }
    }

    private static WebSocketException Closed() =>
        new(WebSocketError.ConnectionClosedPrematurely, "The connection closed.");
}
