using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Channels;
using Switchboard.Protocols;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.Transports.LongPoll;

/// <summary>
/// The long-poll endpoint of one namespace's channels (docs/protocols/longpoll.md): <c>GET
/// ?channel=a&amp;cursor=...</c> subscribes for the duration of the request from the cursor's positions,
/// answers as soon as there is anything (or when the timeout passes) with the publications and the next
/// cursor, and unsubscribes. The cursor carries everything between polls, so a publication made while no
/// poll is held is replayed by the next one, and one already answered is never answered again.
/// </summary>
internal sealed class LongPollEndpoint(ChannelHub hub, LongPollOptions options, TimeProvider time, Drain.ConnectionDrain drain, ILogger logger)
{
    public const string Protocol = "longpoll";
    private const string Name = "Long-poll";

    public async Task HandleAsync(HttpContext context)
    {
        if (await ChannelSubscription.AcceptAsync(context, options.MaxChannels, Name, logger, hub.Metrics, Protocol).ConfigureAwait(false) is not { } accepted)
        {
            return;
        }
        var (channels, grant) = accepted;
        if (drain.IsDraining)
        {
            // Held polls are answered by the drain; a new one goes to another node (docs/drain.md).
            context.Response.Headers.RetryAfter = drain.RetryAfter;
            await new RequestProblem(StatusCodes.Status503ServiceUnavailable, "shutting_down", "the server is shutting down: poll again with the same cursor")
                .WriteAsync(context, logger, Name).ConfigureAwait(false);
            return;
        }
        if (ReadTimeout(context.Request, options) is not { } timeout)
        {
            await new RequestProblem(StatusCodes.Status400BadRequest, "invalid_timeout", "timeout must be a whole number of seconds, 0 or more")
                .WriteAsync(context, logger, Name).ConfigureAwait(false);
            return;
        }

        // Short-lived, and its backlog is bounded by the channels' history: a replay must never count as a slow consumer.
        var connection = new HttpChannelConnection(hub, Protocol, grant, context.Abort, logger) { MaxQueued = int.MaxValue };
        Answer? answer;
        try
        {
            answer = await CollectAnswerAsync(context, connection, channels, timeout).ConfigureAwait(false);
        }
        finally
        {
            // Unsubscribed before answering: the cursor in the answer carries everything from here on.
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        if (answer is null)
        {
            ChannelEndpointLog.PollAbandoned(logger, connection.ConnectionId, channels);
            return;
        }
        var discontinuities = answer.Discontinuities?.Count ?? 0;
        ChannelEndpointLog.PollAnswered(logger, connection.ConnectionId, channels, answer.Publications.Count, discontinuities);
        var bytes = WriteAnswer(context.Response, answer);
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        connection.Wrote(answer.Publications.Count + discontinuities, bytes);
    }

    /// <summary>What a poll answers: the publications, the discontinuities (rare: made on the first), and the subscription whose positions are the next cursor.</summary>
    private sealed class Answer(ChannelSubscription subscription)
    {
        public ChannelSubscription Subscription => subscription;

        public List<ChannelEntry> Publications { get; } = [];

        public List<(string Channel, StreamPosition Top)>? Discontinuities { get; private set; }

        public bool IsEmpty => Publications.Count == 0 && Discontinuities is null;

        public void AddDiscontinuity(string channel, StreamPosition top) => (Discontinuities ??= []).Add((channel, top));
    }

    /// <summary>Subscribes from the request's cursor and collects the answer; null when the client went away.</summary>
    private async ValueTask<Answer?> CollectAnswerAsync(HttpContext context, HttpChannelConnection connection, string[] channels, TimeSpan timeout)
    {
        var aborted = context.RequestAborted;
        try
        {
            var cursor = ChannelSubscription.ReadCursor(context.Request, "cursor", lastEventIdHeader: false);
            var subscription = await ChannelSubscription.OpenAsync(connection, channels, cursor, aborted).ConfigureAwait(false);
            var answer = new Answer(subscription);
            if (subscription.CursorMalformed)
            {
                ChannelEndpointLog.MalformedCursor(logger, Name, connection.ConnectionId, channels.Length);
                for (var i = 0; i < channels.Length; i++)
                {
                    answer.AddDiscontinuity(channels[i], subscription.Positions[i]);
                }
            }
            await CollectAsync(connection, answer, timeout, aborted).ConfigureAwait(false);
            return aborted.IsCancellationRequested ? null : answer;
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// Takes what the connection has; when it has nothing, waits for something, the timeout or the client
    /// leaving. The wait takes no token: the timeout (one timer, made only when the poll must wait) and the
    /// request's cancellation wake it with a signal (<see cref="HttpChannelConnection.Expire"/>,
    /// <see cref="ChannelConnection.Signal"/>), which costs no linked token source and no registration per wait.
    /// </summary>
    private async ValueTask CollectAsync(HttpChannelConnection connection, Answer answer, TimeSpan timeout, CancellationToken aborted)
    {
        ITimer? timer = null;
        CancellationTokenRegistration abort = default;
        try
        {
            while (true)
            {
                while (answer.Publications.Count < options.MaxPublications && connection.TryTake(out var message))
                {
                    if (message.Kind == ChannelMessageKind.Close)
                    {
                        return;
                    }
                    if (answer.Subscription.Apply(message) < 0)
                    {
                        continue; // a signal, or a channel this poll is not on
                    }
                    if (message.Kind == ChannelMessageKind.Publication)
                    {
                        answer.Publications.Add(message.Entry);
                    }
                    else
                    {
                        answer.AddDiscontinuity(message.Channel!, message.Top);
                    }
                }
                if (!answer.IsEmpty || connection.Expired || aborted.IsCancellationRequested || timeout <= TimeSpan.Zero)
                {
                    return;
                }
                if (timer is null)
                {
                    ChannelEndpointLog.PollHeld(logger, connection.ConnectionId, answer.Subscription.Channels, timeout);
                    timer = time.CreateTimer(static state => ((HttpChannelConnection)state!).Expire(), connection, timeout, Timeout.InfiniteTimeSpan);
                    // Invoked at once when the client is already gone: the signal ends the wait below.
                    abort = aborted.UnsafeRegister(static state => ((HttpChannelConnection)state!).Signal(), connection);
                    continue;
                }
                if (!await connection.WaitAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        finally
        {
            abort.Dispose();
            timer?.Dispose();
        }
    }

    // One writer per thread, reset onto each answer's pipe: the answer is written without an await.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes the answer into the response's pipe (flushed by the caller); returns its length in bytes.</summary>
    private static long WriteAnswer(HttpResponse response, Answer answer)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        var writer = t_writer;
        if (writer is null)
        {
            t_writer = writer = ChannelJson.CreateWriter(response.BodyWriter);
        }
        else
        {
            writer.Reset(response.BodyWriter);
        }
        try
        {
            writer.WriteStartObject();
            writer.WriteStartArray("publications"u8);
            foreach (var entry in answer.Publications)
            {
                ChannelJson.WritePublication(writer, entry);
            }
            writer.WriteEndArray();
            answer.Subscription.WriteCursor(writer, "cursor"u8);
            writer.WriteStartArray("discontinuities"u8);
            if (answer.Discontinuities is { } discontinuities)
            {
                foreach (var (channel, top) in discontinuities)
                {
                    ChannelJson.WritePosition(writer, channel, top);
                }
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
            return writer.BytesCommitted;
        }
        finally
        {
            // Lets go of the response's pipe (and any half-written state after a failure).
            writer.Reset(Stream.Null);
        }
    }

    /// <summary>The poll's timeout: the <c>timeout</c> query parameter in seconds (capped), or the default; null when malformed.</summary>
    internal static TimeSpan? ReadTimeout(HttpRequest request, LongPollOptions options)
    {
        var text = request.Query["timeout"].ToString();
        if (text.Length == 0)
        {
            return options.DefaultTimeout;
        }
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return null;
        }
        return seconds >= options.MaxTimeout.TotalSeconds ? options.MaxTimeout : TimeSpan.FromSeconds(seconds);
    }
}
