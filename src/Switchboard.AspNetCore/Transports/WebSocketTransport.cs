using System.Buffers;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Transports;

/// <summary>
/// Engine.IO over WebSocket (RFC 6455 by System.Net.WebSockets): one packet per message, binary
/// messages raw. Handles the handshake on a new session and the probe/upgrade of a polling session,
/// then pumps bytes both ways until either side ends.
/// </summary>
internal sealed partial class WebSocketTransport(EngineServer server, ILogger logger)
{
    private static readonly byte[] ProbeReply = "3probe"u8.ToArray();
    private static readonly TimeSpan CloseGracePeriod = TimeSpan.FromSeconds(2);

    public async Task HandshakeAsync(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var session = server.Open(EngineTransportKind.WebSocket, EngineRequestFactory.Create(context, server.Time));
        var handshake = new EngineHandshake(session.Id, false,
            (int)server.Options.PingInterval.TotalMilliseconds, (int)server.Options.PingTimeout.TotalMilliseconds, server.Options.MaxPayload);
        try
        {
            await socket.SendAsync(handshake.EncodeOpenPacket(), WebSocketMessageType.Text, true, context.RequestAborted);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            session.Close(EngineCloseReason.TransportClose);
            return;
        }
        await RunAsync(socket, session, context.RequestAborted);
    }

    public async Task UpgradeAsync(HttpContext context, EngineSession session)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        if (session.Transport != EngineTransportKind.Polling || session.Upgrading)
        {
            // The session already has (or is getting) its WebSocket: accept this one and close it at once.
            LogDuplicateUpgrade(logger, session.Id);
            await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "session already upgraded");
            return;
        }
        using var reader = new MessageReader(server.Options.MaxPayload);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(server.Options.UpgradeTimeout);
        var upgraded = false;
        var probed = false;
        try
        {
            while (!upgraded)
            {
                var message = await reader.ReadAsync(socket, timeout.Token);
                if (message is not { } m || m.Type != WebSocketMessageType.Text)
                {
                    break;
                }
                var text = m.Data.Span;
                if (text.SequenceEqual("2probe"u8) && !probed)
                {
                    await socket.SendAsync(ProbeReply, WebSocketMessageType.Text, true, timeout.Token);
                    session.BeginUpgrade();
                    probed = true;
                }
                else if (text.SequenceEqual("5"u8) && probed && !session.IsClosed)
                {
                    session.CompleteUpgrade();
                    upgraded = true;
                }
                else
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or InvalidDataException)
        {
        }
        if (!upgraded)
        {
            LogUpgradeFailed(logger, session.Id);
            if (probed)
            {
                session.AbortUpgrade();
            }
            await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "upgrade failed");
            return;
        }
        await RunAsync(socket, session, context.RequestAborted);
    }

    private async Task RunAsync(WebSocket socket, EngineSession session, CancellationToken aborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var writing = WriteLoopAsync(socket, session, stop);
        var reason = await ReadLoopAsync(socket, session, stop.Token);
        session.Close(reason);
        await writing;
    }

    private async Task<EngineCloseReason> ReadLoopAsync(WebSocket socket, EngineSession session, CancellationToken cancellation)
    {
        using var reader = new MessageReader(server.Options.MaxPayload);
        try
        {
            while (!session.IsClosed)
            {
                var message = await reader.ReadAsync(socket, cancellation);
                if (message is not { } m)
                {
                    return EngineCloseReason.TransportClose;
                }
                EnginePacket packet;
                if (m.Type == WebSocketMessageType.Binary)
                {
                    packet = EnginePacket.Binary(m.Data.ToArray());
                }
                else if (!EngineCodec.TryParseText(m.Data.ToArray(), out packet))
                {
                    LogInvalidPacket(logger, session.Id);
                    return EngineCloseReason.ParseError;
                }
                session.Receive(packet);
            }
            return session.CloseReason ?? EngineCloseReason.ServerClose;
        }
        catch (InvalidDataException)
        {
            LogMessageTooBig(logger, session.Id, server.Options.MaxPayload);
            return EngineCloseReason.TransportError;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            return session.CloseReason ?? EngineCloseReason.TransportClose;
        }
    }

    /// <summary>
    /// Writes queued frames until the session closes, then starts the close handshake and gives the
    /// client a short grace period to answer it before the read side is abandoned.
    /// </summary>
    private static async Task WriteLoopAsync(WebSocket socket, EngineSession session, CancellationTokenSource stop)
    {
        var outbound = session.Outbound;
        try
        {
            while (await outbound.WaitToReadAsync(stop.Token))
            {
                while (outbound.TryRead(out var frame))
                {
                    await socket.SendAsync(frame.Data, frame.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, stop.Token);
                    foreach (var attachment in frame.Attachments ?? [])
                    {
                        await socket.SendAsync(attachment, WebSocketMessageType.Binary, true, stop.Token);
                    }
                }
            }
            var status = session.CloseReason == EngineCloseReason.TransportError ? WebSocketCloseStatus.MessageTooBig : WebSocketCloseStatus.NormalClosure;
            await CloseQuietlyAsync(socket, status, null);
            stop.CancelAfter(CloseGracePeriod);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            session.Close(EngineCloseReason.TransportClose);
            stop.Cancel();
        }
    }

    private static async Task CloseQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string? description)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(status, description, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    [LoggerMessage(30, LogLevel.Information, "Engine.IO session {Sid}: a second WebSocket for an upgraded session was closed")]
    private static partial void LogDuplicateUpgrade(ILogger logger, string sid);

    [LoggerMessage(31, LogLevel.Debug, "Engine.IO session {Sid}: upgrade to WebSocket did not complete")]
    private static partial void LogUpgradeFailed(ILogger logger, string sid);

    [LoggerMessage(32, LogLevel.Information, "Engine.IO session {Sid}: invalid packet on WebSocket, session closed")]
    private static partial void LogInvalidPacket(ILogger logger, string sid);

    [LoggerMessage(33, LogLevel.Information, "Engine.IO session {Sid}: WebSocket message larger than {Max} bytes, session closed")]
    private static partial void LogMessageTooBig(ILogger logger, string sid, long max);

    /// <summary>
    /// Reads whole WebSocket messages. While idle it holds no buffer: it waits with a zero-byte read and
    /// rents a buffer only once data has arrived.
    /// </summary>
    private sealed class MessageReader(long maxPayload) : IDisposable
    {
        private byte[]? _buffer;

        public async ValueTask<(WebSocketMessageType Type, ReadOnlyMemory<byte> Data)?> ReadAsync(WebSocket socket, CancellationToken cancellation)
        {
            ReturnBuffer();
            var zero = await socket.ReceiveAsync(Memory<byte>.Empty, cancellation);
            if (zero.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            if (zero.EndOfMessage)
            {
                // The zero-byte read consumed a whole, empty message.
                return (zero.MessageType, ReadOnlyMemory<byte>.Empty);
            }
            _buffer = ArrayPool<byte>.Shared.Rent(4096);
            var length = 0;
            while (true)
            {
                if (length == _buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                    _buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(_buffer);
                    _buffer = bigger;
                }
                var result = await socket.ReceiveAsync(_buffer.AsMemory(length), cancellation);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }
                length += result.Count;
                if (length > maxPayload)
                {
                    throw new InvalidDataException("message too big");
                }
                if (result.EndOfMessage)
                {
                    return (result.MessageType, _buffer.AsMemory(0, length));
                }
            }
        }

        private void ReturnBuffer()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }

        public void Dispose() => ReturnBuffer();
    }
}
