using System.Buffers;
using System.Net.WebSockets;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Client;

/// <summary>The WebSocket transport: one message per packet, a reader loop and a writer loop.</summary>
internal sealed partial class EngineConnection
{
    private ClientWebSocket? _webSocket;

    private static ClientWebSocket NewWebSocket(SocketIOClientOptions options)
    {
        var socket = new ClientWebSocket();
        if (options.Headers is not null)
        {
            foreach (var (name, value) in options.Headers)
            {
                socket.Options.SetRequestHeader(name, value);
            }
        }
        return socket;
    }

    private static async Task<EngineConnection> OpenWebSocketAsync(Uri server, SocketIOClientOptions options, CancellationToken cancellationToken)
    {
        var socket = NewWebSocket(options);
        try
        {
            await socket.ConnectAsync(EngineUri(server, options, ClientTransport.WebSocket), cancellationToken).ConfigureAwait(false);
            var buffer = new ArrayBufferWriter<byte>(512);
            var type = await ReceiveMessageAsync(socket, buffer, options.MaxMessageBytes, cancellationToken).ConfigureAwait(false);
            if (type != WebSocketMessageType.Text || !EngineCodec.TryParseText(buffer.WrittenMemory, out var open) || open.Type != EnginePacketType.Open)
            {
                throw new WebSocketException(WebSocketError.InvalidMessageType, "The server did not start with an Engine.IO open packet.");
            }
            return new EngineConnection(options, ParseOpen(open.Data)) { _webSocket = socket };
        }
        catch
        {
            socket.Abort();
            socket.Dispose();
            throw;
        }
    }

    private void StartWebSocket(ClientWebSocket socket)
    {
        _ = Task.Run(() => ReadWebSocketAsync(socket));
        _ = Task.Run(() => WriteWebSocketAsync(socket));
    }

    private async Task ReadWebSocketAsync(ClientWebSocket socket)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                buffer.ResetWrittenCount();
                var type = await ReceiveMessageAsync(socket, buffer, _options.MaxMessageBytes, _stopping.Token).ConfigureAwait(false);
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

    private async Task WriteWebSocketAsync(ClientWebSocket socket)
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                await socket.SendAsync(message.Data, message.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, _stopping.Token).ConfigureAwait(false);
            }
            // Drained after a client close: say goodbye.
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, _stopping.Token).ConfigureAwait(false);
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
