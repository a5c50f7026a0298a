using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// Engine.IO HTTP long-polling: a GET is held until the session has something to send and returns
/// every queued packet joined by 0x1E; a POST carries packets the other way and is answered
/// <c>ok</c> once they have all been dispatched.
/// </summary>
internal sealed partial class PollingTransport(EngineServer server, ILogger logger)
{
    private static readonly byte[] Ok = "ok"u8.ToArray();
    private static readonly TimeSpan UpgradeNoopDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>A new session over polling; <paramref name="request"/> is the request already built for AllowRequest, if any.</summary>
    public Task HandshakeAsync(HttpContext context, EngineRequest? request)
    {
        var session = server.Open(EngineTransportKind.Polling, request ?? EngineRequestFactory.Create(context, server.Time));
        EngineCookie.Set(context, server.Options, session.Id);
        var handshake = new EngineHandshake(session.Id, server.Options.AllowUpgrades && server.Options.AllowWebSocket,
            (int)server.Options.PingInterval.TotalMilliseconds, (int)server.Options.PingTimeout.TotalMilliseconds, server.Options.MaxPayload);
        if (session.Protocol == 3)
        {
            return AnswerV3Async(context, session, handshake.EncodeOpenPacket());
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        handshake.WriteOpenPacket(buffer);
        DrainInto(session, buffer, first: false);
        return WritePayloadAsync(context, buffer.WrittenMemory, session.Request);
    }

    public async Task PollAsync(HttpContext context, EngineSession session)
    {
        if (!session.TryBeginPoll())
        {
            if (server.Refusals.ShouldLog(logger, "engine.io overlapping polls"))
            {
                LogOverlappingPoll(logger, session.Id);
            }
            session.Close(DisconnectCode.TooLarge);
            await EngineErrorResponse.WriteAsync(context, EngineError.BadRequest);
            return;
        }
        try
        {
            var aborted = context.RequestAborted;
            if (session.Upgrading)
            {
                // The client may be finishing the upgrade (then this poll gets 400), or this may be the
                // poll it must see answered before it sends the upgrade packet: wait briefly, then
                // release it with a noop, as Node's server does on its upgrade check interval.
                var settled = session.UpgradeSettled;
                await Task.WhenAny(settled, Task.Delay(UpgradeNoopDelay, server.Time, aborted));
                aborted.ThrowIfCancellationRequested();
                if (!settled.IsCompleted)
                {
                    await WritePayloadAsync(context, session.Protocol == 3 ? V3Noop : OutboundFrame.Noop.Data);
                    return;
                }
            }
            if (session.Transport != EngineTransportKind.Polling)
            {
                await RefuseTransportMismatchAsync(context, session);
                return;
            }
            await session.Outbound.WaitToReadAsync(aborted);
            if (session.Protocol == 3)
            {
                await AnswerV3Async(context, session, open: null);
                return;
            }
            // The answer is built in this thread's buffer and copied into the response's pipe before the
            // one await (the flush): no buffer per poll.
            var buffer = RentAnswerBuffer();
            var deferred = false;
            var ended = false;
            try
            {
                var wrote = DrainInto(session, buffer, first: true);
                if (session.IsClosed && session.Outbound.IsFinished)
                {
                    ended = true;
                    var last = session.CloseCode == DisconnectCode.ClientClosed ? OutboundFrame.Noop : OutboundFrame.ClosePacket;
                    if (wrote && last.Data.Span[0] == (byte)'1')
                    {
                        // The packets before the close (DISCONNECTs) go alone; the next poll gets the close packet.
                        session.DeferClosePacket();
                        deferred = true;
                    }
                    else if (!wrote || last.Data.Span[0] != (byte)'6')
                    {
                        EngineCodec.WritePayloadRecord(buffer, last.Data.Span, isBinary: false, first: !wrote);
                    }
                }
                WritePayload(context, buffer.WrittenSpan);
            }
            finally
            {
                ReturnAnswerBuffer(buffer);
            }
            await context.Response.BodyWriter.FlushAsync(aborted);
            if (ended && !deferred)
            {
                server.Remove(session);
            }
            else if (!ended && session.IsClosed)
            {
                // Closed while this answer was built from the packets queued before the close (a server
                // close queues its DISCONNECTs, then closes): the close packet is not in it, so the next
                // poll must still find the session and take it, not get 400 "Session ID unknown".
                session.DeferClosePacket();
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while its poll was held; the queued frames stay for the next poll.
        }
        finally
        {
            session.EndPoll();
        }
    }

    public async Task PostAsync(HttpContext context, EngineSession session)
    {
        if (session.Transport != EngineTransportKind.Polling)
        {
            await RefuseTransportMismatchAsync(context, session);
            return;
        }
        if (!session.TryBeginPost())
        {
            if (server.Refusals.ShouldLog(logger, "engine.io overlapping posts"))
            {
                LogOverlappingPost(logger, session.Id);
            }
            session.Close(DisconnectCode.TooLarge);
            await EngineErrorResponse.WriteAsync(context, EngineError.BadRequest);
            return;
        }
        try
        {
            var max = server.Options.MaxPayload;
            var body = await ReadBodyAsync(context.Request, max, context.RequestAborted);
            if (body is null)
            {
                if (server.Refusals.ShouldLog(logger, "engine.io post too large"))
                {
                    LogPayloadTooLarge(logger, session.Id, max);
                }
                session.Close(DisconnectCode.TooLarge);
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }
            var packets = new List<EnginePacket>();
            if (!(session.Protocol == 3 ? TryParseV3(context.Request, body.Value, packets) : EngineCodec.TryParsePayload(body.Value, packets)))
            {
                if (server.Refusals.ShouldLog(logger, "engine.io malformed polling payload"))
                {
                    LogParseError(logger, session.Id);
                }
                session.Close(DisconnectCode.BadRequest);
                await EngineErrorResponse.WriteAsync(context, EngineError.BadRequest);
                return;
            }
            foreach (var packet in packets)
            {
                if (!session.Receive(packet))
                {
                    break;
                }
            }
            context.Response.ContentType = "text/html";
            context.Response.ContentLength = Ok.Length;
            EngineEvents.OnHeaders(server, context);
            await context.Response.Body.WriteAsync(Ok, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            session.EndPost();
        }
    }

    private static bool DrainInto(EngineSession session, ArrayBufferWriter<byte> buffer, bool first)
    {
        var wrote = false;
        var start = buffer.WrittenCount;
        var messages = 0;
        while (session.Outbound.TryRead(out var frame))
        {
            EngineCodec.WritePayloadRecord(buffer, frame.Data.Span, frame.IsBinary, first);
            foreach (var attachment in frame.Attachments ?? [])
            {
                EngineCodec.WritePayloadRecord(buffer, attachment.Span, isBinary: true, first: false);
            }
            first = false;
            wrote = true;
            messages += 1 + (frame.Attachments?.Length ?? 0);
        }
        if (wrote)
        {
            // Once per poll answer, not per packet.
            session.CountSent(messages, buffer.WrittenCount - start);
        }
        return wrote;
    }

    /// <summary>
    /// Writes a payload, compressed when <see cref="EngineOptions.HttpCompression"/> allows, after the
    /// header events; <paramref name="request"/> is the request already built, if any.
    /// </summary>
    private Task WritePayloadAsync(HttpContext context, ReadOnlyMemory<byte> payload, EngineRequest? request = null)
    {
        context.Response.ContentType = "text/plain; charset=UTF-8";
        context.Response.Headers.CacheControl = "no-store";
        payload = PollingCompression.Apply(context, server.Options.HttpCompression, payload);
        context.Response.ContentLength = payload.Length;
        EngineEvents.OnHeaders(server, context, request);
        return context.Response.Body.WriteAsync(payload, context.RequestAborted).AsTask();
    }

    /// <summary>
    /// Writes a payload into the response's pipe (flushed by the caller), compressed when
    /// <see cref="EngineOptions.HttpCompression"/> allows, after the header events.
    /// </summary>
    private void WritePayload(HttpContext context, ReadOnlySpan<byte> payload)
    {
        var response = context.Response;
        response.ContentType = "text/plain; charset=UTF-8";
        response.Headers.CacheControl = "no-store";
        var options = server.Options.HttpCompression;
        if (options.Enabled && payload.Length >= options.Threshold && !Microsoft.Extensions.Primitives.StringValues.IsNullOrEmpty(context.Request.Headers.AcceptEncoding))
        {
            // Compressing makes a new body anyway; the copy is only made when it may be compressed.
            var compressed = PollingCompression.Apply(context, options, payload.ToArray());
            response.ContentLength = compressed.Length;
            EngineEvents.OnHeaders(server, context);
            response.BodyWriter.Write(compressed.Span);
            return;
        }
        response.ContentLength = payload.Length;
        EngineEvents.OnHeaders(server, context);
        response.BodyWriter.Write(payload);
    }

    // A poll's answer buffer, one per thread: filled and copied into the response without an await.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_answer;

    /// <summary>Past this capacity a thread's answer buffer is not kept (a rare large answer does not pin its array).</summary>
    private const int KeptAnswerCapacity = 64 * 1024;

    private static ArrayBufferWriter<byte> RentAnswerBuffer()
    {
        var buffer = t_answer ?? new ArrayBufferWriter<byte>(1024);
        t_answer = null; // a nested use on this thread (none today) would get its own
        return buffer;
    }

    private static void ReturnAnswerBuffer(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity <= KeptAnswerCapacity)
        {
            buffer.ResetWrittenCount();
            t_answer = buffer;
        }
    }

    /// <summary>A poll or POST for a session that runs over WebSocket now (engine.io's TRANSPORT_MISMATCH).</summary>
    private Task RefuseTransportMismatchAsync(HttpContext context, EngineSession session)
    {
        EngineEvents.OnRefused(server, context, EngineError.BadRequest, $"session {session.Id} runs over {session.Transport}", "TRANSPORT_MISMATCH");
        return EngineErrorResponse.WriteAsync(context, EngineError.BadRequest);
    }

    /// <summary>Reads the whole body, or returns null as soon as it exceeds <paramref name="max"/> bytes.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, long max, CancellationToken cancellation)
    {
        if (request.ContentLength > max)
        {
            return null;
        }
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellation);
            if (result.Buffer.Length > max)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                return null;
            }
            if (result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    [LoggerMessage(20, LogLevel.Information, "Engine.IO session {Sid}: overlapping polls, session closed")]
    private static partial void LogOverlappingPoll(ILogger logger, string sid);

    [LoggerMessage(21, LogLevel.Information, "Engine.IO session {Sid}: overlapping POSTs, session closed")]
    private static partial void LogOverlappingPost(ILogger logger, string sid);

    [LoggerMessage(22, LogLevel.Information, "Engine.IO session {Sid}: POST larger than {Max} bytes, session closed")]
    private static partial void LogPayloadTooLarge(ILogger logger, string sid, long max);

    [LoggerMessage(23, LogLevel.Information, "Engine.IO session {Sid}: malformed polling payload, session closed")]
    private static partial void LogParseError(ILogger logger, string sid);
}
