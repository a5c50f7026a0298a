using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Protocols.Plain;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.Transports.PlainWebSocket;

/// <summary>The requests of the plain WebSocket protocol: each returns the encoded reply.</summary>
internal sealed partial class PlainWebSocketConnection
{
    // Only the read loop touches these.
    private readonly HashSet<string> _subscriptions = new(StringComparer.Ordinal);
    private readonly PlainWebSocketRateLimiter? _publishes;
    private readonly PlainWebSocketRateLimiter _invalidFrames;
    private bool _rateLimitLogged;

    private async ValueTask ExecuteAsync(PlainRequest request)
    {
        byte[] reply;
        try
        {
            reply = request.Op switch
            {
                PlainOp.Subscribe => await SubscribeAsync(request).ConfigureAwait(false),
                PlainOp.Unsubscribe => Unsubscribe(request),
                PlainOp.Publish => await PublishAsync(request).ConfigureAwait(false),
                PlainOp.History => await HistoryAsync(request).ConfigureAwait(false),
                PlainOp.Presence => await PresenceAsync(request).ConfigureAwait(false),
                _ => Encode(w => PlainFrameWriter.WriteOk(w, request.Id.Span)),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            PlainWebSocketLog.RequestFailed(_logger, ConnectionId, PlainRequestReader.Name(request.Op), request.Channel ?? "", ex);
            reply = Encode(w => PlainFrameWriter.WriteError(w, request.Id.Span, PlainErrorCode.Internal, "the server could not carry out the request"));
        }
        await ReplyAsync(reply).ConfigureAwait(false);
    }

    private async ValueTask<byte[]> SubscribeAsync(PlainRequest request)
    {
        var channel = request.Channel!;
        if (CheckChannel(request) is { } invalid)
        {
            return invalid;
        }
        if (!Grant.CanSubscribe(channel))
        {
            return Refuse(request, PlainErrorCode.Forbidden, $"not allowed to subscribe to '{channel}'");
        }
        if (_subscriptions.Contains(channel))
        {
            return Refuse(request, PlainErrorCode.AlreadySubscribed, $"already subscribed to '{channel}'");
        }
        if (_subscriptions.Count >= _options.MaxSubscriptions)
        {
            return Refuse(request, PlainErrorCode.TooManySubscriptions, $"at most {_options.MaxSubscriptions} subscriptions per connection");
        }
        _subscriptions.Add(channel);
        StreamPosition top;
        try
        {
            top = await SubscribeAsync(channel, Position(request.Since), _stop.Token).ConfigureAwait(false);
        }
        catch
        {
            _subscriptions.Remove(channel);
            Unsubscribe(channel);
            throw;
        }
        return Encode(w => PlainFrameWriter.WritePosition(w, request.Id.Span, channel, top.Offset, top.Epoch));
    }

    private byte[] Unsubscribe(PlainRequest request)
    {
        var channel = request.Channel!;
        if (ChannelNames.Problem(channel, "a channel name") is { } problem)
        {
            return Refuse(request, PlainErrorCode.BadRequest, problem);
        }
        if (!_subscriptions.Remove(channel))
        {
            return Refuse(request, PlainErrorCode.NotSubscribed, $"not subscribed to '{channel}'");
        }
        Unsubscribe(channel);
        return Encode(w => PlainFrameWriter.WriteOk(w, request.Id.Span));
    }

    private async ValueTask<byte[]> PublishAsync(PlainRequest request)
    {
        var channel = request.Channel!;
        if (CheckChannel(request) is { } invalid)
        {
            return invalid;
        }
        if (!Grant.CanPublish(channel))
        {
            return Refuse(request, PlainErrorCode.Forbidden, $"not allowed to publish to '{channel}'");
        }
        if (_publishes is { } limiter && !limiter.TryTake())
        {
            // One log line per run of refusals, not one per refused publish.
            if (!_rateLimitLogged)
            {
                _rateLimitLogged = true;
                return Refuse(request, PlainErrorCode.RateLimited, RateLimitMessage);
            }
            return Encode(w => PlainFrameWriter.WriteError(w, request.Id.Span, PlainErrorCode.RateLimited, RateLimitMessage));
        }
        _rateLimitLogged = false;
        object? data = request.Data.IsEmpty ? null : JsonElement.Parse(request.Data.Span);
        var result = await Hub.PublishAsync([channel], request.Event!, [data], null, request.Echo ? null : ConnectionId, _stop.Token).ConfigureAwait(false);
        var position = result.Positions[channel];
        return Encode(w => PlainFrameWriter.WritePosition(w, request.Id.Span, channel, position.Offset, position.Epoch));
    }

    private string RateLimitMessage => $"more than {_options.PublishesPerSecond:0.###} publishes per second (bursts of {_options.PublishBurst})";

    private async ValueTask<byte[]> HistoryAsync(PlainRequest request)
    {
        var channel = request.Channel!;
        if (CheckChannel(request) is { } invalid)
        {
            return invalid;
        }
        if (!Grant.CanSubscribe(channel))
        {
            return Refuse(request, PlainErrorCode.Forbidden, $"not allowed to read '{channel}'");
        }
        var limit = Math.Min(request.Limit ?? _options.MaxHistoryLimit, _options.MaxHistoryLimit);
        var read = await Hub.HistoryAsync(channel, Position(request.Since), limit, _stop.Token).ConfigureAwait(false);
        var frames = new ReadOnlyMemory<byte>[read.Entries.Count];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = PlainWebSocketFrames.Publication(read.Entries[i]);
        }
        return Encode(w => PlainFrameWriter.WriteHistory(w, request.Id.Span, channel, read.Top.Offset, read.Top.Epoch, read.Continuous, frames));
    }

    private async ValueTask<byte[]> PresenceAsync(PlainRequest request)
    {
        var channel = request.Channel!;
        if (CheckChannel(request) is { } invalid)
        {
            return invalid;
        }
        if (!Grant.CanSubscribe(channel))
        {
            return Refuse(request, PlainErrorCode.Forbidden, $"not allowed to read '{channel}'");
        }
        var presence = await Hub.PresenceAsync(channel).ConfigureAwait(false);
        return Encode(w => PlainFrameWriter.WritePresence(w, request.Id.Span, channel, presence.Connections, presence.Users));
    }

    private byte[]? CheckChannel(PlainRequest request)
    {
        var channel = request.Channel!;
        // The one rule of every protocol (non-empty, at most 200 characters, no control characters),
        // then this endpoint's own limit, which may only be shorter.
        if (ChannelNames.Problem(channel, "a channel name") is { } problem)
        {
            return Refuse(request, PlainErrorCode.BadRequest, problem);
        }
        if (channel.Length > _options.MaxChannelLength)
        {
            return Refuse(request, PlainErrorCode.BadRequest, $"channel names are at most {_options.MaxChannelLength} characters");
        }
        // A socket's own id room carries private messages to that socket only: no channel for anyone else.
        return Hub.IsPrivateRoom(channel) ? Refuse(request, PlainErrorCode.Forbidden, $"'{channel}' is a socket's private room") : null;
    }

    private byte[] Refuse(PlainRequest request, PlainErrorCode code, string message)
    {
        if (ShouldLogRefusal($"plain websocket {PlainRequestReader.Name(request.Op)} refused {code.ToWireName()}"))
        {
            PlainWebSocketLog.RequestRefused(_logger, ConnectionId, PlainRequestReader.Name(request.Op), Truncate(request.Channel), code.ToWireName(), message);
        }
        return Encode(w => PlainFrameWriter.WriteError(w, request.Id.Span, code, message));
    }

    /// <summary>The channel as a log value: at most 100 characters, control characters (refused names may hold CR, LF) shown as <c>?</c>.</summary>
    /// <summary>Whether a refusal line of this kind may be written now (the server's <see cref="Logging.LogThrottle"/>).</summary>
    private bool ShouldLogRefusal(string kind) => _refusals.ShouldLog(_logger, kind);

    private static string Truncate(string? channel)
    {
        if (channel is null)
        {
            return "";
        }
        var shown = channel.Length > 100 ? channel[..100] + "…" : channel;
        return shown.Any(char.IsControl) ? new string([.. shown.Select(c => char.IsControl(c) ? '?' : c)]) : shown;
    }

    private static StreamPosition? Position(PlainPosition? since) => since is { } p ? new StreamPosition(p.Offset, p.Epoch) : null;
}
