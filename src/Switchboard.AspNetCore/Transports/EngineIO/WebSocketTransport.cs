using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Engine;
using Switchboard.Protocols;
using Switchboard.Protocols.EngineIO;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// Engine.IO over WebSocket (RFC 6455 by System.Net.WebSockets): one packet per message, binary
/// messages raw. Handles the handshake on a new session and the probe/upgrade of a polling session,
/// then pumps bytes both ways until either side ends.
/// </summary>
internal sealed partial class WebSocketTransport(EngineServer server, ILogger logger)
{
    private static readonly byte[] ProbeReply = "3probe"u8.ToArray();
    private static readonly TimeSpan CloseGracePeriod = TimeSpan.FromSeconds(2);

    private TimeProvider Time => server.Time;


    /// <summary>A new session over WebSocket; <paramref name="request"/> is the request already built for AllowRequest, if any.</summary>
    public async Task HandshakeAsync(HttpContext context, EngineRequest? request)
    {
        request ??= server.HasHeaderHandlers ? EngineRequestFactory.Create(context, server.Time) : null;
        EngineEvents.OnHeaders(server, context, request);
        // A cookie goes out with the 101, before the session exists: its id is chosen first.
        var id = EngineCookie.SetBeforeOpen(context, server.Options);
        var (socket, stream) = await WebSocketAcceptor.AcceptAsync(context, server.Options.PerMessageDeflate);
        using var _ = socket;
        var session = server.Open(EngineTransportKind.WebSocket, request ?? EngineRequestFactory.Create(context, server.Time), id);
        var handshake = new EngineHandshake(session.Id, false,
            (int)server.Options.PingInterval.TotalMilliseconds, (int)server.Options.PingTimeout.TotalMilliseconds, server.Options.MaxPayload);
        try
        {
            var open = handshake.EncodeOpenPacket();
            await socket.SendAsync(open, WebSocketMessageType.Text, Flags(open.Length, server.Options.PerMessageDeflate.SendThreshold), CancellationToken.None);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            session.Close(DisconnectCode.ClientClosed);
            return;
        }
        await RunAsync(context, socket, stream, session);
    }

    public async Task UpgradeAsync(HttpContext context, EngineSession session)
    {
        EngineEvents.OnHeaders(server, context);
        var (socket, stream) = await WebSocketAcceptor.AcceptAsync(context, server.Options.PerMessageDeflate);
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
                    await socket.SendAsync(ProbeReply, WebSocketMessageType.Text, Flags(ProbeReply.Length, server.Options.PerMessageDeflate.SendThreshold), timeout.Token);
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
    /// goes (or the connection does) and closes the session. The writer is the one WebSocket write loop
    /// (<see cref="WebSocketWriter"/>), whose task this returns rather than awaits, so that one state
    /// machine fewer lives as long as the connection: it writes queued frames until the session closes,
    /// then starts the close handshake; a failed write aborts the socket, which ends the reader. Frames
    /// are sent without a cancellation token, which keeps the socket on its fast path (no registration
    /// per frame). While the writer waits on an empty queue, a reply (<see cref="EngineSession.SendDirect"/>)
    /// is sent on the thread that writes it, through <see cref="Connection"/>; a send of that kind that
    /// does not complete at once is finished by the writer, before anything else is sent.
    /// </summary>
    private Task RunAsync(HttpContext? context, WebSocket socket, IWriteBatching? stream, EngineSession session)
    {
        var connection = new Connection(this, context, socket, stream, session, server.Options.PerMessageDeflate.SendThreshold);
        connection.Reading = WebSocketReadLoop.RunAsync(new Inbound(connection), new WebSocketMessageReader(socket, server.Options.MaxPayload), CancellationToken.None);
        session.AttachTransport(connection);
        return WebSocketWriter.RunAsync<Outbound, OutboundFrame>(new Outbound(connection, session.Outbound, socket, stream, connection.CompressThreshold), stream);
    }

    /// <summary>
    /// Drops the connection. Aborting the socket alone disposes its stream, but a read pending on
    /// Kestrel's upgraded stream does not end with it: the reader would wait for the client.
    /// </summary>
    private static void Abort(HttpContext? context, WebSocket socket)
    {
        socket.Abort();
        context?.Abort();
    }

    /// <summary>One message of the client: a packet for the session; false (the session closes) for one that cannot be parsed.</summary>
    private bool Receive(EngineSession session, in WebSocketRead message)
    {
        if (session.Protocol == 3)
        {
            return ReceiveV3(session, message);
        }
        EnginePacket packet;
        if (message.Type == WebSocketMessageType.Binary)
        {
            packet = EnginePacket.Binary(message.Data.ToArray());
        }
        else if (!EngineCodec.TryParseTextCopy(message.Data.Span, out packet))
        {
            if (server.Refusals.ShouldLog(logger, "engine.io invalid websocket packet"))
            {
                LogInvalidPacket(logger, session.Id);
            }
            session.Close(DisconnectCode.BadRequest);
            return false;
        }
        session.Receive(packet);
        return true;
    }

    /// <summary>The read loop ended: the session closes with the reason (the first close wins).</summary>
    private void OnReadEnded(EngineSession session, WebSocketReadEnd end)
    {
        if (end == WebSocketReadEnd.TooLarge && server.Refusals.ShouldLog(logger, "engine.io websocket message too big"))
        {
            LogMessageTooBig(logger, session.Id, server.Options.MaxPayload);
        }
        session.Close(end switch
        {
            WebSocketReadEnd.ClosedByClient => DisconnectCode.ClientClosed,
            WebSocketReadEnd.TooLarge => DisconnectCode.TooLarge,
            WebSocketReadEnd.Failed => session.CloseCode ?? DisconnectCode.ClientClosed,
            _ => session.CloseCode ?? DisconnectCode.Disconnected,
        });
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

    /// <summary>
    /// Sends one queued frame (and its attachments); the last frame of a batch releases the batch. A
    /// message shorter than <paramref name="compressThreshold"/> goes uncompressed (meaningless, and zero,
    /// when permessage-deflate is off).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask SendFrameAsync(WebSocket socket, IWriteBatching? stream, OutboundFrame frame, bool last, int compressThreshold)
    {
        if (frame.NoCompress)
        {
            compressThreshold = int.MaxValue;
        }
        var attachments = frame.Attachments;
        if (last && attachments is null)
        {
            stream?.ReleaseWithNextWrite();
        }
        await socket.SendAsync(frame.Data, frame.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, Flags(frame.Data.Length, compressThreshold), CancellationToken.None);
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
            await socket.SendAsync(attachments[i], WebSocketMessageType.Binary, Flags(attachments[i].Length, compressThreshold), CancellationToken.None);
        }
    }

    private static WebSocketMessageFlags Flags(int length, int compressThreshold) =>
        length < compressThreshold ? WebSocketMessageFlags.EndOfMessage | WebSocketMessageFlags.DisableCompression : WebSocketMessageFlags.EndOfMessage;

    /// <summary>
    /// The connection as its session sees it (a frame sent on the caller's thread, as a batch of its own,
    /// see <see cref="OutboundQueue"/>, timed like the writer's batches; and the way to drop it), and as
    /// the write loop sees it (the session's queue, and what to do when it is done).
    /// </summary>
    /// <summary>
    /// The write loop's view of a connection, as a struct so that the loop is compiled for it (direct
    /// calls on the per-message path, not interface calls through shared generic code).
    /// </summary>
    private readonly struct Outbound(Connection connection, OutboundQueue queue, WebSocket socket, IWriteBatching? stream, int compressThreshold) : IWebSocketOutbound<OutboundFrame>
    {
        // The per-message calls go straight to the queue and the socket, as a loop of this class's own would.
        public ValueTask<bool> WaitAsync() => queue.WaitToReadAsync();

        public ValueTask TakeUnfinishedSend() => queue.TakeUnfinishedSend();

        public bool TryTake(out OutboundFrame item) => queue.TryRead(out item);

        public long Weigh(in OutboundFrame item, out int messages) => Connection.Weigh(item, out messages);

        public ValueTask SendAsync(OutboundFrame item, bool last) => SendFrameAsync(socket, stream, item, last, compressThreshold, connection.Framing);

        public void OnSent(long messages, long bytes) => connection.Session.CountSent(messages, bytes);

        public void BeginSend() => connection.BeginSend();

        public void EndSend() => connection.EndSend();

        public Task OnDrainedAsync() => connection.OnDrainedAsync();

        public bool IsTransportFailure(Exception exception) => WebSocketTransport.IsTransportFailure(exception);

        public void OnSendFailed(Exception exception) => connection.OnSendFailed(exception);

        public Task OnStoppedAsync() => connection.OnStoppedAsync();
    }

    /// <summary>The read loop's view of a connection (a struct, as <see cref="Outbound"/>).</summary>
    private readonly struct Inbound(Connection connection) : IWebSocketInbound
    {
        public bool StopReading => connection.StopReading;

        public ValueTask<bool> OnMessageAsync(WebSocketRead message) => connection.OnMessageAsync(message);

        public bool IsTransportFailure(Exception exception) => WebSocketTransport.IsTransportFailure(exception);

        public Task OnReadEndedAsync(WebSocketReadEnd end, Exception? error) => connection.OnReadEndedAsync(end, error);
    }

    private sealed class Connection(WebSocketTransport transport, HttpContext? context, WebSocket socket, IWriteBatching? stream, EngineSession session, int compressThreshold)
        : IEngineTransportHandle
    {
        /// <summary>Messages shorter than this go uncompressed (<see cref="PerMessageDeflateOptions.SendThreshold"/>).</summary>
        public int CompressThreshold => compressThreshold;

        /// <summary>The read loop, which ends when the client or the connection goes, closing the session.</summary>
        public Task Reading { get; set; } = Task.CompletedTask;

        /// <summary>How binary messages are framed for this client (Engine.IO v3 differs); computed, not a field per connection.</summary>
        public WebSocketFraming Framing => context is null ? WebSocketFraming.V4 : FramingOf(session, context);

        public bool StopReading => session.IsClosed;

        public ValueTask<bool> OnMessageAsync(WebSocketRead message) => new(transport.Receive(session, message));

        public Task OnReadEndedAsync(WebSocketReadEnd end, Exception? error)
        {
            if (end != WebSocketReadEnd.Failed || !transport.OnProtocolViolation(session, socket))
            {
                transport.OnReadEnded(session, end);
            }
            return Task.CompletedTask;
        }

        public EngineSession Session => session;

        public ValueTask Send(in OutboundFrame frame)
        {
            var bytes = Weigh(frame, out var messages);
            session.CountSent(messages, bytes);
            session.BeginSend();
            var sent = SendFrameAsync(socket, stream, frame, last: true, CompressThreshold, Framing);
            if (sent.IsCompleted)
            {
                // Otherwise the writer finishes it, and ends the timing then.
                session.EndSend();
            }
            return sent;
        }

        public void Abort() => WebSocketTransport.Abort(context, socket);

        public static long Weigh(in OutboundFrame item, out int messages)
        {
            messages = 1 + (item.Attachments?.Length ?? 0);
            return FrameLength(item);
        }

        public void BeginSend() => session.BeginSend();

        public void EndSend() => session.EndSend();

        public Task OnDrainedAsync()
        {
            // The table's status (docs/disconnect-reasons.md), but 1000 for the server's own close and a client's, as Node's engine.io.
            var code = session.CloseCode ?? DisconnectCode.Disconnected;
            var status = code == DisconnectCode.Disconnected || code == DisconnectCode.ClientClosed
                ? WebSocketCloseStatus.NormalClosure
                : (WebSocketCloseStatus)code.Status;
            return CloseQuietlyAsync(socket, status, null, transport.Time);
        }

        public void OnSendFailed(Exception exception)
        {
            session.Close(DisconnectCode.ClientClosed);
            Abort();
        }

        public async Task OnStoppedAsync()
        {
            session.AttachTransport(null);
            if (!Reading.IsCompleted)
            {
                // The close frame is out: give the client a short grace period to answer it.
                await Task.WhenAny(Reading, Task.Delay(CloseGracePeriod, transport.Time));
                if (!Reading.IsCompleted)
                {
                    Abort();
                }
            }
            await Reading;
        }
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
