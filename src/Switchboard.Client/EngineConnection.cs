using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Client;

/// <summary>
/// One Engine.IO v4 connection over a WebSocket: the handshake, a reader loop that hands packets to the
/// owner, a writer loop that sends queued messages in order, and the heartbeat. It only moves packets and
/// says why it ended (<see cref="Closed"/>); Socket.IO lives above it.
/// </summary>
internal sealed partial class EngineConnection
{
    private readonly ClientWebSocket _socket;
    private readonly SocketIOClientOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Outgoing> _outbound = Channel.CreateUnbounded<Outgoing>(new() { SingleReader = true });
    private readonly TaskCompletionSource<DisconnectReason> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private Action<EnginePacket>? _onPacket;
    private int _closing;

    private readonly record struct Outgoing(ReadOnlyMemory<byte> Data, bool IsBinary);

    private EngineConnection(ClientWebSocket socket, SocketIOClientOptions options, string sid, TimeSpan pingInterval, TimeSpan pingTimeout)
    {
        _socket = socket;
        _options = options;
        _logger = options.Logger;
        Sid = sid;
        PingInterval = pingInterval;
        PingTimeout = pingTimeout;
    }

    /// <summary>The Engine.IO session id the server gave.</summary>
    public string Sid { get; }

    public TimeSpan PingInterval { get; }

    public TimeSpan PingTimeout { get; }

    /// <summary>Completes, once, with the reason the connection ended.</summary>
    public Task<DisconnectReason> Closed => _closed.Task;

    /// <summary>The WebSocket URL of the handshake: <c>ws(s)://host/path/?EIO=4&amp;transport=websocket</c>.</summary>
    public static Uri WebSocketUri(Uri server, SocketIOClientOptions options)
    {
        var builder = new UriBuilder(server)
        {
            Scheme = server.Scheme is "https" or "wss" ? "wss" : "ws",
            Path = options.Path.TrimEnd('/') + "/",
        };
        var query = "EIO=4&transport=websocket";
        if (options.Query is not null)
        {
            foreach (var (key, value) in options.Query)
            {
                query += "&" + Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(value);
            }
        }
        builder.Query = query;
        return builder.Uri;
    }

    /// <summary>Opens the WebSocket and reads the open packet; fails on a timeout, a refused connection or a malformed handshake.</summary>
    public static async Task<EngineConnection> OpenAsync(Uri server, SocketIOClientOptions options, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = new ClientWebSocket();
        try
        {
            if (options.Headers is not null)
            {
                foreach (var (name, value) in options.Headers)
                {
                    socket.Options.SetRequestHeader(name, value);
                }
            }
            await socket.ConnectAsync(WebSocketUri(server, options), linked.Token).ConfigureAwait(false);
            var buffer = new ArrayBufferWriter<byte>(512);
            var type = await ReceiveMessageAsync(socket, buffer, options.MaxMessageBytes, linked.Token).ConfigureAwait(false);
            if (type != WebSocketMessageType.Text || !EngineCodec.TryParseText(buffer.WrittenMemory, out var open) || open.Type != EnginePacketType.Open)
            {
                throw new WebSocketException(WebSocketError.InvalidMessageType, "The server did not start with an Engine.IO open packet.");
            }
            using var json = JsonDocument.Parse(open.Data);
            var root = json.RootElement;
            var connection = new EngineConnection(
                socket,
                options,
                root.GetProperty("sid").GetString() ?? throw new JsonException("sid is null"),
                TimeSpan.FromMilliseconds(root.GetProperty("pingInterval").GetInt32()),
                TimeSpan.FromMilliseconds(root.GetProperty("pingTimeout").GetInt32()));
            return connection;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Abort();
            socket.Dispose();
            throw new TimeoutException($"No Engine.IO handshake within {options.ConnectTimeout}.");
        }
        catch
        {
            socket.Abort();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Starts the reader and writer loops; packets go to <paramref name="onPacket"/> on the reader's thread, in order.</summary>
    public void Start(Action<EnginePacket> onPacket)
    {
        _onPacket = onPacket;
        StartHeartbeat();
        _ = Task.Run(ReadLoopAsync);
        _ = Task.Run(WriteLoopAsync);
    }

    /// <summary>Queues a Socket.IO packet (its text message, then its attachments). False once the connection is closing.</summary>
    public bool Send(OutgoingPacket packet)
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return false;
        }
        // One writer per channel item would interleave with other packets' attachments; a packet's
        // messages are queued back to back under the lock, so they stay together.
        lock (_outbound)
        {
            if (!_outbound.Writer.TryWrite(new Outgoing(packet.Text, false)))
            {
                return false;
            }
            foreach (var attachment in packet.Attachments)
            {
                _outbound.Writer.TryWrite(new Outgoing(attachment, true));
            }
        }
        return true;
    }

    private void SendControl(EnginePacketType type)
    {
        lock (_outbound)
        {
            _outbound.Writer.TryWrite(new Outgoing(EngineCodec.EncodeText(type, default), false));
        }
    }

    /// <summary>
    /// Ends the connection. A client close (<see cref="DisconnectReason.ClientDisconnect"/>) first sends
    /// what is queued and closes the WebSocket politely; any other reason drops it at once.
    /// </summary>
    public void Close(DisconnectReason reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }
        StopHeartbeat();
        lock (_outbound)
        {
            _outbound.Writer.TryComplete();
        }
        if (reason != DisconnectReason.ClientDisconnect)
        {
            _stopping.Cancel();
            _socket.Abort();
        }
        else
        {
            // The writer closes the socket once the queue is drained; a peer that does not answer the close
            // handshake is cut after a second.
            _ = Task.Delay(TimeSpan.FromSeconds(1), _options.TimeProvider).ContinueWith(_ => { _stopping.Cancel(); _socket.Abort(); }, TaskScheduler.Default);
        }
        _logger.EngineClosed(reason.ToWireString());
        _closed.TrySetResult(reason);
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                buffer.ResetWrittenCount();
                var type = await ReceiveMessageAsync(_socket, buffer, _options.MaxMessageBytes, _stopping.Token).ConfigureAwait(false);
                if (type == WebSocketMessageType.Close)
                {
                    Close(DisconnectReason.TransportClose);
                    return;
                }
                EnginePacket packet;
                if (type == WebSocketMessageType.Binary)
                {
                    packet = EnginePacket.Binary(buffer.WrittenSpan.ToArray());
                }
                else if (!EngineCodec.TryParseTextCopy(buffer.WrittenSpan, out packet))
                {
                    _logger.ParseError("not an Engine.IO packet");
                    Close(DisconnectReason.ParseError);
                    return;
                }
                if (!Handle(packet))
                {
                    return;
                }
            }
        }
        catch (MessageTooLargeException)
        {
            _logger.ParseError($"a message larger than {_options.MaxMessageBytes} bytes");
            Close(DisconnectReason.ParseError);
        }
        catch (Exception) when (Volatile.Read(ref _closing) != 0)
        {
            // Closed from this side: the reason is already set.
        }
        catch (Exception)
        {
            Close(DisconnectReason.TransportError);
        }
    }

    /// <summary>Handles an Engine.IO packet; false when the connection ended.</summary>
    private bool Handle(EnginePacket packet)
    {
        switch (packet.Type)
        {
            case EnginePacketType.Ping:
                OnPing();
                SendControl(EnginePacketType.Pong);
                return true;
            case EnginePacketType.Close:
                Close(DisconnectReason.TransportClose);
                return false;
            case EnginePacketType.Message:
                _onPacket!(packet);
                return Volatile.Read(ref _closing) == 0;
            default:
                // Pong, noop, a second open, upgrade: nothing to do on a WebSocket client.
                return true;
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                await _socket.SendAsync(message.Data, message.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, _stopping.Token).ConfigureAwait(false);
            }
            // Drained after a client close: say goodbye.
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception) when (Volatile.Read(ref _closing) != 0)
        {
        }
        catch (Exception)
        {
            Close(DisconnectReason.TransportError);
        }
    }

    private sealed class MessageTooLargeException : Exception;

    private static async Task<WebSocketMessageType> ReceiveMessageAsync(WebSocket socket, ArrayBufferWriter<byte> buffer, int maxBytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return WebSocketMessageType.Close;
            }
            buffer.Advance(result.Count);
            if (buffer.WrittenCount > maxBytes)
            {
                throw new MessageTooLargeException();
            }
            if (result.EndOfMessage)
            {
                return result.MessageType;
            }
        }
    }
}
