using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.Shared;
using Switchboard.Channels;
using Switchboard.Protocols;
using Switchboard.Protocols.Channels;
using Switchboard.Protocols.ServerSentEvents;

namespace Switchboard.AspNetCore.Transports.ServerSentEvents;

/// <summary>
/// The SSE endpoint of one namespace's channels: <c>GET ?channel=a&amp;channel=b</c> opens a stream of
/// the channels' publications, each event's id the cursor over all of them (docs/protocols/sse.md).
/// </summary>
internal sealed class ServerSentEventsEndpoint(ChannelHub hub, ServerSentEventsOptions options, HeartbeatTicker heartbeat, Drain.ConnectionDrain drain, ILogger logger)
{
    public const string Protocol = "sse";
    private const string Name = "SSE";
    private const int FlushThreshold = 16 * 1024;

    /// <summary>Event names with a meaning of their own on this stream or to EventSource; a publication so named is sent as <c>message</c>.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "subscribed", "discontinuity", "close", "error", "open" };

    public async Task HandleAsync(HttpContext context)
    {
        if (await ChannelSubscription.AcceptAsync(context, options.MaxChannels, Name, logger, hub.Metrics, Protocol).ConfigureAwait(false) is not { } accepted)
        {
            return;
        }
        var (channels, grant) = accepted;
        if (drain.IsDraining)
        {
            await GoElsewhereAsync(context).ConfigureAwait(false);
            return;
        }
        var connection = new HttpChannelConnection(hub, Protocol, grant, context.Abort, logger) { MaxQueued = options.MaxQueuedMessages };
        string reason;
        try
        {
            reason = await ServeAsync(context, connection, channels).ConfigureAwait(false);
        }
        finally
        {
            // Unsubscribed and unregistered before the response completes.
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        ChannelEndpointLog.SseEnded(logger, connection.ConnectionId, reason);
    }

    /// <summary>
    /// A new stream while the server drains (docs/drain.md). Not a 503: an <c>EventSource</c> gives up for
    /// good on any status but 200, and would never come back. The stream is opened and ended at once with
    /// the usual <c>retry:</c> and a <c>close</c> event <c>shutdown</c>: the client reconnects after the
    /// retry delay, with its <c>Last-Event-ID</c>, through the balancer to another node.
    /// </summary>
    private async Task GoElsewhereAsync(HttpContext context)
    {
        if (ChannelEndpointLog.ShouldLogRefusal(context, logger, Name, StatusCodes.Status200OK, "shutdown"))
        {
            ChannelEndpointLog.RequestRefused(logger, Name, StatusCodes.Status200OK, "shutdown", "the server is draining: stream ended at once",
                context.Connection.RemoteIpAddress?.ToString());
        }
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers.RetryAfter = drain.RetryAfter;
        var body = new ArrayBufferWriter<byte>(256);
        ServerSentEventsFormat.WriteRetry(body, options.RetryInterval);
        var json = new ArrayBufferWriter<byte>(128);
        using (var writer = ChannelJson.CreateWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("code"u8, DisconnectCode.Shutdown.Code);
            writer.WriteString("reason"u8, ChannelConnection.Describe(DisconnectCode.Shutdown));
            writer.WriteBoolean("reconnect"u8, true);
            writer.WriteEndObject();
        }
        ServerSentEventsFormat.WriteEvent(body, "close", null, json.WrittenSpan);
        await response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Subscribes, starts the response and streams until either side ends it; returns why it ended.</summary>
    private async Task<string> ServeAsync(HttpContext context, HttpChannelConnection connection, string[] channels)
    {
        var aborted = context.RequestAborted;
        try
        {
            var cursor = ChannelSubscription.ReadCursor(context.Request, "lastEventId", lastEventIdHeader: true);
            var subscription = await ChannelSubscription.OpenAsync(connection, channels, cursor, aborted).ConfigureAwait(false);
            ChannelEndpointLog.SseOpened(logger, connection.ConnectionId, channels, subscription.Resumed);
            if (subscription.CursorMalformed)
            {
                ChannelEndpointLog.MalformedCursor(logger, Name, connection.ConnectionId, channels.Length);
            }

            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache, no-transform";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            return await new EventStream(connection, subscription, response.BodyWriter, heartbeat).RunAsync(options.RetryInterval, aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException || aborted.IsCancellationRequested)
        {
            return "client went away";
        }
    }

    /// <summary>The event name a publication is written with: its own, unless empty, multi-line or reserved.</summary>
    internal static string EventName(string publicationEvent) =>
        publicationEvent.Length == 0 || Reserved.Contains(publicationEvent) || !ServerSentEventsFormat.IsSingleLine(publicationEvent) ? "message" : publicationEvent;

    /// <summary>
    /// Writes a publication's event, encoded once for every stream, with this stream's cursor
    /// (<paramref name="positions"/>, after the publication) as its id; <paramref name="id"/> is the
    /// stream's scratch buffer for the cursor, grown when it is too small.
    /// </summary>
    internal static void WritePublication(IBufferWriter<byte> output, in ChannelEntry entry, ReadOnlySpan<StreamPosition> positions, ref byte[] id)
    {
        var length = ChannelCursor.MaxLength(positions);
        if (id.Length < length)
        {
            id = new byte[length];
        }
        var written = ChannelCursor.Write(id, positions);
        ServerSentEventsFormat.WriteEvent(output, entry.Publication.Frame(PublicationEvents.Instance, entry), id.AsSpan(0, written));
    }

    /// <summary>
    /// Encode once, write many: a publication's event in a channel (its <c>event:</c> field and <c>data:</c>
    /// lines) is encoded by the first stream that writes it, and every stream writes the same bytes with
    /// its own cursor as the <c>id:</c>.
    /// </summary>
    internal sealed class PublicationEvents : PublicationFormat
    {
        public static readonly PublicationEvents Instance = new();

        public override byte[] Encode(in ChannelEntry entry)
        {
            var json = new ArrayBufferWriter<byte>(128 + entry.Publication.Data.Length);
            using (var writer = ChannelJson.CreateWriter(json))
            {
                ChannelJson.WritePublication(writer, entry);
            }
            var encoded = new ArrayBufferWriter<byte>(json.WrittenCount + 64);
            ServerSentEventsFormat.WriteEvent(encoded, EventName(entry.Publication.Event), null, json.WrittenSpan);
            return encoded.WrittenSpan.ToArray();
        }
    }

    /// <summary>Writes one connection's queue to its response until either side ends it.</summary>
    private sealed class EventStream(HttpChannelConnection connection, ChannelSubscription subscription, PipeWriter response, HeartbeatTicker heartbeat)
    {
        // Events are written here, then the whole batch to the response in one write: each write to the
        // response's writer is several calls and locks in Kestrel, each write here a copy. A batch past
        // BatchSize goes to the response's buffer; one grown past KeptBatchCapacity by a large event is
        // not kept, so an idle stream holds at most a few KB.
        private const int BatchSize = 2 * 1024;
        private const int KeptBatchCapacity = 4 * 1024;
        private ArrayBufferWriter<byte> _batch = new(512);
        private readonly ArrayBufferWriter<byte> _json = new(256);
        private byte[] _id = new byte[64];
        private Utf8JsonWriter? _writer;

        // Events and bytes written since the last flush: counted once per flush (docs/metrics.md).
        private long _unflushedEvents;
        private long _unflushedBytes;

        /// <summary>Returns why the stream ended; throws when the client went away.</summary>
        public async Task<string> RunAsync(TimeSpan retry, CancellationToken cancellationToken)
        {
            // The stream waits on its queue alone (no token, no second task, nothing allocated per wait):
            // the heartbeat and the end of the request wake it with a signal.
            var heartbeats = heartbeat.Ticks;
            heartbeat.Add(connection);
            using var aborted = cancellationToken.UnsafeRegister(static c => ((ChannelConnection)c!).Signal(), connection);
            try
            {
                ServerSentEventsFormat.WriteRetry(_batch, retry);
                WriteSubscribed();
                if (subscription.CursorMalformed)
                {
                    for (var i = 0; i < subscription.Channels.Length; i++)
                    {
                        WriteDiscontinuity(subscription.Channels[i], subscription.Positions[i]);
                    }
                }
                while (true)
                {
                    // Everything queued is written, then flushed once before waiting: no event waits for another.
                    while (connection.TryTake(out var message))
                    {
                        switch (message.Kind)
                        {
                            case ChannelMessageKind.Close:
                                WriteClose(message.Code ?? DisconnectCode.Disconnected, message.Reason);
                                await FlushAsync(cancellationToken).ConfigureAwait(false);
                                return "disconnected by the server: " + message.Reason;
                            case ChannelMessageKind.Signal:
                                cancellationToken.ThrowIfCancellationRequested();
                                var ticks = heartbeat.Ticks;
                                if (ticks != heartbeats)
                                {
                                    // One ping per tick, however many ticks passed since the last.
                                    heartbeats = ticks;
                                    ServerSentEventsFormat.WriteComment(_batch, "ping");
                                    _unflushedEvents++;
                                }
                                break;
                            default:
                                WriteMessage(message);
                                break;
                        }
                        if (_batch.WrittenCount >= BatchSize)
                        {
                            MoveBatch();
                            if (response.UnflushedBytes > FlushThreshold)
                            {
                                await FlushAsync(cancellationToken).ConfigureAwait(false);
                            }
                        }
                    }
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (!await connection.WaitAsync().ConfigureAwait(false))
                    {
                        return "connection closed";
                    }
                }
            }
            finally
            {
                heartbeat.Remove(connection);
            }
        }

        private void WriteSubscribed() => Write("subscribed", subscription.Cursor, w =>
        {
            w.WriteStartObject();
            w.WriteString("connectionId"u8, connection.ConnectionId);
            w.WriteBoolean("resumed"u8, subscription.Resumed);
            w.WriteStartArray("channels"u8);
            for (var i = 0; i < subscription.Channels.Length; i++)
            {
                ChannelJson.WritePosition(w, subscription.Channels[i], subscription.Positions[i]);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

        private void WriteMessage(in ChannelMessage message)
        {
            if (subscription.Apply(message) < 0)
            {
                return;
            }
            if (message.Kind == ChannelMessageKind.Discontinuity)
            {
                WriteDiscontinuity(message.Channel!, message.Top);
                return;
            }
            WritePublication(_batch, message.Entry, subscription.Positions, ref _id);
            _unflushedEvents++;
        }

        // Not a lambda in RunAsync: one capturing the message there would cost an object per message.
        private void WriteClose(DisconnectCode code, string? reason) => Write("close", null, w =>
        {
            w.WriteStartObject();
            w.WriteString("code"u8, code.Code);
            w.WriteString("reason"u8, reason);
            w.WriteBoolean("reconnect"u8, code.Reconnect);
            w.WriteEndObject();
        });

        private void WriteDiscontinuity(string channel, StreamPosition top) =>
            Write("discontinuity", subscription.Cursor, w => ChannelJson.WritePosition(w, channel, top));

        private void Write(string eventName, string? id, Action<Utf8JsonWriter> data)
        {
            _json.ResetWrittenCount();
            if (_writer is null)
            {
                _writer = ChannelJson.CreateWriter(_json);
            }
            else
            {
                _writer.Reset(_json);
            }
            data(_writer);
            _writer.Flush();
            ServerSentEventsFormat.WriteEvent(_batch, eventName, id, _json.WrittenSpan);
            _unflushedEvents++;
        }

        private void MoveBatch()
        {
            if (_batch.WrittenCount > 0)
            {
                _unflushedBytes += _batch.WrittenCount;
                response.Write(_batch.WrittenSpan);
                ResetBatch();
            }
        }

        private void ResetBatch()
        {
            if (_batch.Capacity > KeptBatchCapacity)
            {
                _batch = new ArrayBufferWriter<byte>(512);
            }
            else
            {
                _batch.ResetWrittenCount();
            }
        }

        private async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            FlushResult result;
            connection.BeginWrite();
            if (_batch.WrittenCount > 0 && response.UnflushedBytes == 0)
            {
                // The usual case, one batch: one write that flushes, cheaper in Kestrel than writing into its buffer and flushing.
                _unflushedBytes += _batch.WrittenCount;
                result = await response.WriteAsync(_batch.WrittenMemory, cancellationToken).ConfigureAwait(false);
                ResetBatch();
            }
            else
            {
                MoveBatch();
                result = await response.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            connection.EndWrite();
            if (_unflushedEvents > 0)
            {
                connection.Wrote(_unflushedEvents, _unflushedBytes);
                _unflushedEvents = 0;
                _unflushedBytes = 0;
            }
            if (result.IsCanceled || result.IsCompleted)
            {
                throw new OperationCanceledException("The client went away.");
            }
        }
    }
}
