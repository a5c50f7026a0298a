using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Engine;
using Switchboard.Protocols;
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

    // A batch ends after the message that reaches either limit, so the held bytes stay bounded and a
    // long backlog goes out in writes that each wait for the connection (Kestrel's backpressure).
    internal const int MaxBatchMessages = 64;
    internal const int MaxBatchBytes = 64 * 1024;

    /// <summary>A new session over WebSocket; <paramref name="request"/> is the request already built for AllowRequest, if any.</summary>
    public async Task HandshakeAsync(HttpContext context, EngineRequest? request)
    {
        var (socket, stream) = await WebSocketAcceptor.AcceptAsync(context);
        using var _ = socket;
        var session = server.Open(EngineTransportKind.WebSocket, request ?? EngineRequestFactory.Create(context, server.Time));
        var handshake = new EngineHandshake(session.Id, false,
            (int)server.Options.PingInterval.TotalMilliseconds, (int)server.Options.PingTimeout.TotalMilliseconds, server.Options.MaxPayload);
        try
        {
            await socket.SendAsync(handshake.EncodeOpenPacket(), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            session.Close(EngineCloseReason.TransportClose);
            return;
        }
        await RunAsync(context, socket, stream, session);
    }

    public async Task UpgradeAsync(HttpContext context, EngineSession session)
    {
        var (socket, stream) = await WebSocketAcceptor.AcceptAsync(context);
        using var _ = socket;
        if (session.Transport != EngineTransportKind.Polling || session.Upgrading)
        {
            // The session already has (or is getting) its WebSocket: accept this one and close it at once.
            LogDuplicateUpgrade(logger, session.Id);
            await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "session already upgraded", server.Time);
            return;
        }
        var reader = new WebSocketMessageReader(socket, server.Options.MaxPayload);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(server.Options.UpgradeTimeout);
        var upgraded = false;
        var probed = false;
        try
        {
            while (!upgraded)
            {
                var message = await reader.ReadAsync(timeout.Token);
                if (message.Kind != WebSocketReadKind.Message || message.Type != WebSocketMessageType.Text)
                {
                    break;
                }
                var text = message.Data.Span;
                if (text.SequenceEqual("2probe"u8) && !probed)
                {
                    await socket.SendAsync(ProbeReply, WebSocketMessageType.Text, true, timeout.Token);
                    if (!session.TryBeginUpgrade())
                    {
                        // Another socket got here first (the check above is not atomic with this one).
                        LogDuplicateUpgrade(logger, session.Id);
                        await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "session already upgraded", server.Time);
                        return;
                    }
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
        catch (Exception ex) when (IsTransportFailure(ex))
        {
        }
        finally
        {
            reader.Dispose();
        }
        if (!upgraded)
        {
            LogUpgradeFailed(logger, session.Id);
            if (probed)
            {
                session.AbortUpgrade();
            }
            await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "upgrade failed", server.Time);
            return;
        }
        await RunAsync(context, socket, stream, session);
    }

    /// <summary>
    /// Pumps both ways without a cancellation token per connection. The reader ends when the client
    /// goes (or the connection does) and closes the session. The writer (this method, so that one state
    /// machine fewer lives as long as the connection) writes queued frames until the session closes,
    /// then starts the close handshake; a failed write aborts the socket, which ends the reader. The
    /// frames queued when the writer wakes go out in batches, each one write to the connection, of up to
    /// <see cref="MaxBatchMessages"/> messages or <see cref="MaxBatchBytes"/> bytes; frames are sent
    /// without a cancellation token, which keeps the socket on its fast path (no registration per frame).
    /// While the writer waits on an empty queue, a reply (<see cref="EngineSession.SendDirect"/>) is sent
    /// on the thread that writes it, through <see cref="DirectSender"/>; a send of that kind that does not
    /// complete at once is finished here, before anything else is sent.
    /// </summary>
    private async Task RunAsync(HttpContext context, WebSocket socket, GatheringStream? stream, EngineSession session)
    {
        var reading = ReadLoopAsync(socket, session);
        var outbound = session.Outbound;
        session.AttachTransport(new Connection(context, socket, stream, session));
        try
        {
            while (true)
            {
                var readable = await outbound.WaitToReadAsync();
                var unfinished = outbound.TakeUnfinishedSend();
                if (!unfinished.IsCompleted)
                {
                    // A direct send that did not complete at once: its start is already noted.
                    await unfinished;
                    session.EndSend();
                }
                else
                {
                    await unfinished;
                }
                if (!readable)
                {
                    break;
                }
                if (!outbound.TryRead(out var frame))
                {
                    continue;
                }
                var more = outbound.TryRead(out var next);
                if (more)
                {
                    stream?.Gather();
                }
                var messages = 0;
                var bytes = 0L;
                // Each batch is one write, timed by the server's send scan.
                session.BeginSend();
                while (true)
                {
                    messages += 1 + (frame.Attachments?.Length ?? 0);
                    bytes += FrameLength(frame);
                    var full = messages >= MaxBatchMessages || bytes >= MaxBatchBytes;
                    await SendFrameAsync(socket, stream, frame, last: !more || full);
                    if (!more)
                    {
                        break;
                    }
                    frame = next;
                    more = outbound.TryRead(out next);
                    if (full)
                    {
                        messages = 0;
                        bytes = 0;
                        session.BeginSend();
                        if (more)
                        {
                            stream?.Gather();
                        }
                    }
                }
                session.EndSend();
            }
            // The table's status (docs/disconnect-reasons.md), but 1000 for the server's own close and a client's, as Node's engine.io.
            var code = (session.CloseReason ?? EngineCloseReason.ServerClose).ToCode();
            var status = code == DisconnectCode.Disconnected || code == DisconnectCode.ClientClosed
                ? WebSocketCloseStatus.NormalClosure
                : (WebSocketCloseStatus)code.Status;
            await CloseQuietlyAsync(socket, status, null, server.Time);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            session.Close(EngineCloseReason.TransportClose);
            Abort(context, socket);
        }
        finally
        {
            session.EndSend();
            session.AttachTransport(null);
        }
        if (!reading.IsCompleted)
        {
            // The close frame is out: give the client a short grace period to answer it.
            await Task.WhenAny(reading, Task.Delay(CloseGracePeriod, server.Time));
            if (!reading.IsCompleted)
            {
                Abort(context, socket);
            }
        }
        await reading;
    }

    /// <summary>
    /// Drops the connection. Aborting the socket alone disposes its stream, but a read pending on
    /// Kestrel's upgraded stream does not end with it: the reader would wait for the client.
    /// </summary>
    private static void Abort(HttpContext context, WebSocket socket)
    {
        socket.Abort();
        context.Abort();
    }

    /// <summary>Reads messages until the client or the connection goes, then closes the session with the reason.</summary>
    private async Task ReadLoopAsync(WebSocket socket, EngineSession session)
    {
        var reader = new WebSocketMessageReader(socket, server.Options.MaxPayload);
        EngineCloseReason reason;
        try
        {
            while (true)
            {
                if (session.IsClosed)
                {
                    reason = session.CloseReason ?? EngineCloseReason.ServerClose;
                    break;
                }
                var arrived = await reader.WaitAsync(CancellationToken.None);
                var m = await reader.ReadRestAsync(arrived, CancellationToken.None);
                if (m.Kind == WebSocketReadKind.Closed)
                {
                    reason = EngineCloseReason.TransportClose;
                    break;
                }
                if (m.Kind == WebSocketReadKind.TooLarge)
                {
                    if (server.Refusals.ShouldLog(logger, "engine.io websocket message too big"))
                    {
                        LogMessageTooBig(logger, session.Id, server.Options.MaxPayload);
                    }
                    reason = EngineCloseReason.TransportError;
                    break;
                }
                EnginePacket packet;
                if (m.Type == WebSocketMessageType.Binary)
                {
                    packet = EnginePacket.Binary(m.Data.ToArray());
                }
                else if (!EngineCodec.TryParseTextCopy(m.Data.Span, out packet))
                {
                    if (server.Refusals.ShouldLog(logger, "engine.io invalid websocket packet"))
                    {
                        LogInvalidPacket(logger, session.Id);
                    }
                    reason = EngineCloseReason.ParseError;
                    break;
                }
                session.Receive(packet);
            }
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            reason = session.CloseReason ?? EngineCloseReason.TransportClose;
        }
        finally
        {
            reader.Dispose();
        }
        session.Close(reason);
    }

    private static long FrameLength(in OutboundFrame frame)
    {
        long length = frame.Data.Length;
        foreach (var attachment in frame.Attachments ?? [])
        {
            length += attachment.Length;
        }
        return length;
    }

    /// <summary>Sends one queued frame (and its attachments); the last frame of a batch releases the batch.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask SendFrameAsync(WebSocket socket, GatheringStream? stream, OutboundFrame frame, bool last)
    {
        var attachments = frame.Attachments;
        if (last && attachments is null)
        {
            stream?.ReleaseWithNextWrite();
        }
        await socket.SendAsync(frame.Data, frame.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
        if (attachments is null)
        {
            return;
        }
        for (var i = 0; i < attachments.Length; i++)
        {
            if (last && i == attachments.Length - 1)
            {
                stream?.ReleaseWithNextWrite();
            }
            await socket.SendAsync(attachments[i], WebSocketMessageType.Binary, true, CancellationToken.None);
        }
    }

    /// <summary>
    /// The connection as its session sees it: a frame sent on the caller's thread, as a batch of its own
    /// (see <see cref="OutboundQueue"/>), timed like the writer's batches; and the way to drop it.
    /// </summary>
    private sealed class Connection(HttpContext context, WebSocket socket, GatheringStream? stream, EngineSession session) : IEngineTransportHandle
    {
        public ValueTask Send(in OutboundFrame frame)
        {
            session.BeginSend();
            var sent = SendFrameAsync(socket, stream, frame, last: true);
            if (sent.IsCompleted)
            {
                // Otherwise the writer finishes it, and ends the timing then.
                session.EndSend();
            }
            return sent;
        }

        public void Abort() => WebSocketTransport.Abort(context, socket);
    }

    private static async Task CloseQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string? description, TimeProvider time)
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseGracePeriod, time);
                await socket.CloseOutputAsync(status, description, timeout.Token);
            }
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
        }
    }

    /// <summary>The ways a WebSocket, or the connection under it, fails or goes away: they end the transport, quietly.</summary>
    private static bool IsTransportFailure(Exception ex) =>
        ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException;

    [LoggerMessage(30, LogLevel.Information, "Engine.IO session {Sid}: a second WebSocket for an upgraded session was closed")]
    private static partial void LogDuplicateUpgrade(ILogger logger, string sid);

    [LoggerMessage(31, LogLevel.Debug, "Engine.IO session {Sid}: upgrade to WebSocket did not complete")]
    private static partial void LogUpgradeFailed(ILogger logger, string sid);

    [LoggerMessage(32, LogLevel.Information, "Engine.IO session {Sid}: invalid packet on WebSocket, session closed")]
    private static partial void LogInvalidPacket(ILogger logger, string sid);

    [LoggerMessage(33, LogLevel.Information, "Engine.IO session {Sid}: WebSocket message larger than {Max} bytes, session closed")]
    private static partial void LogMessageTooBig(ILogger logger, string sid, long max);
}
