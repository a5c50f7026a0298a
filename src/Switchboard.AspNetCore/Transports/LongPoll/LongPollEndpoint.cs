using System.Globalization;
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
            return;
        }
        ChannelEndpointLog.PollAnswered(logger, connection.ConnectionId, channels, answer.Publications.Count, answer.Discontinuities.Count);
        var bytes = await WriteAnswerAsync(context.Response, answer).ConfigureAwait(false);
        connection.Wrote(answer.Publications.Count + answer.Discontinuities.Count, bytes);
    }

    /// <summary>What a poll answers: the publications, the discontinuities, and the cursor after them.</summary>
    private sealed record Answer(List<ChannelEntry> Publications, List<(string Channel, StreamPosition Top)> Discontinuities, string Cursor);

    /// <summary>Subscribes from the request's cursor and collects the answer; null when the client went away.</summary>
    private async Task<Answer?> CollectAnswerAsync(HttpContext context, HttpChannelConnection connection, string[] channels, TimeSpan timeout)
    {
        var aborted = context.RequestAborted;
        using var timer = new CancellationTokenSource(timeout, time);
        using var held = CancellationTokenSource.CreateLinkedTokenSource(aborted, timer.Token);
        var publications = new List<ChannelEntry>();
        var discontinuities = new List<(string Channel, StreamPosition Top)>();
        try
        {
            var cursor = ChannelSubscription.ReadCursor(context.Request, "cursor", lastEventIdHeader: false);
            var subscription = await ChannelSubscription.OpenAsync(connection, channels, cursor, aborted).ConfigureAwait(false);
            if (subscription.CursorMalformed)
            {
                ChannelEndpointLog.MalformedCursor(logger, Name, connection.ConnectionId, channels.Length);
                for (var i = 0; i < channels.Length; i++)
                {
                    discontinuities.Add((channels[i], subscription.Positions[i]));
                }
            }
            await CollectAsync(connection, subscription, publications, discontinuities, timeout, held.Token).ConfigureAwait(false);
            return aborted.IsCancellationRequested ? null : new Answer(publications, discontinuities, subscription.Cursor);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Takes what the connection has; when it has nothing, waits for something or the end of the poll.</summary>
    private async Task CollectAsync(HttpChannelConnection connection, ChannelSubscription subscription, List<ChannelEntry> publications,
        List<(string Channel, StreamPosition Top)> discontinuities, TimeSpan timeout, CancellationToken held)
    {
        var waited = false;
        while (true)
        {
            while (publications.Count < options.MaxPublications && connection.TryTake(out var message))
            {
                if (message.Kind == ChannelMessageKind.Close)
                {
                    return;
                }
                if (subscription.Apply(message) < 0)
                {
                    continue;
                }
                if (message.Kind == ChannelMessageKind.Publication)
                {
                    publications.Add(message.Entry);
                }
                else
                {
                    discontinuities.Add((message.Channel!, message.Top));
                }
            }
            if (publications.Count > 0 || discontinuities.Count > 0)
            {
                return;
            }
            if (!waited)
            {
                waited = true;
                ChannelEndpointLog.PollHeld(logger, connection.ConnectionId, subscription.Channels, timeout);
            }
            try
            {
                if (!await connection.WaitAsync(held).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (held.IsCancellationRequested)
            {
                // The timeout passed, or the client went (the caller tells them apart).
                return;
            }
        }
    }

    /// <summary>Writes the answer; returns its length in bytes.</summary>
    private static async Task<long> WriteAnswerAsync(HttpResponse response, Answer answer)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        long bytes;
        using (var writer = ChannelJson.CreateWriter(response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("publications"u8);
            foreach (var entry in answer.Publications)
            {
                ChannelJson.WritePublication(writer, entry);
            }
            writer.WriteEndArray();
            writer.WriteString("cursor"u8, answer.Cursor);
            writer.WriteStartArray("discontinuities"u8);
            foreach (var (channel, top) in answer.Discontinuities)
            {
                ChannelJson.WritePosition(writer, channel, top);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
            bytes = writer.BytesCommitted;
        }
        await response.BodyWriter.FlushAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
        return bytes;
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
