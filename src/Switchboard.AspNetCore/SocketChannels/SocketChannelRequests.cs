using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Switchboard.AspNetCore.Shared;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.SocketChannels;

/// <summary>A <c>subscribe</c> request: <c>{"channel":"prices.AAPL","since":{"offset":41,"epoch":"XyZ"}}</c>, <c>since</c> optional.</summary>
internal sealed record SubscribeRequest(string Channel, StreamPosition? Since);

/// <summary>A <c>publish</c> request: <c>{"channel":"chat.lobby","event":"message","data":...}</c>, <c>event</c> optional.</summary>
internal sealed record PublishRequest(string Channel, string Event, JsonElement Data);

/// <summary>Reads the first argument of a channel event into a request; anything else becomes a <see cref="SocketChannelError"/>.</summary>
internal static class SocketChannelRequests
{
    public const string DefaultEvent = "message";

    /// <summary>Event names the official client keeps for itself: a publication named so would reach no listener, or the wrong one.</summary>
    private static readonly HashSet<string> s_reserved = new(StringComparer.Ordinal)
    {
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    };

    public static bool TrySubscribe(SocketEvent e, [NotNullWhen(true)] out SubscribeRequest? request, [NotNullWhen(false)] out SocketChannelError? error)
    {
        request = null;
        if (!TryObject(e, out var payload, out error) || !TryChannel(payload, out var channel, out error))
        {
            return false;
        }
        StreamPosition? since = null;
        if (payload.TryGetProperty("since", out var position) && position.ValueKind != JsonValueKind.Null)
        {
            if (position.ValueKind != JsonValueKind.Object
                || !position.TryGetProperty("offset", out var offset) || !offset.TryGetInt64(out var value) || value < 0
                || !position.TryGetProperty("epoch", out var epoch) || epoch.ValueKind != JsonValueKind.String
                || ChannelNames.Problem(epoch.GetString(), "epoch") is not null)
            {
                error = SocketChannelError.BadRequest("since must be {\"offset\": a whole number >= 0, \"epoch\": a non-empty string}.");
                return false;
            }
            since = new StreamPosition(value, epoch.GetString()!);
        }
        request = new SubscribeRequest(channel, since);
        return true;
    }

    public static bool TryUnsubscribe(SocketEvent e, [NotNullWhen(true)] out string? channel, [NotNullWhen(false)] out SocketChannelError? error)
    {
        channel = null;
        return TryObject(e, out var payload, out error) && TryChannel(payload, out channel, out error);
    }

    public static bool TryPublish(SocketEvent e, [NotNullWhen(true)] out PublishRequest? request, [NotNullWhen(false)] out SocketChannelError? error)
    {
        request = null;
        if (!TryObject(e, out var payload, out error) || !TryChannel(payload, out var channel, out error))
        {
            return false;
        }
        if (e.Args.Attachments.Count > 0)
        {
            error = SocketChannelError.BadRequest("A publication's data is JSON; binary attachments are not accepted.");
            return false;
        }
        var eventName = DefaultEvent;
        if (payload.TryGetProperty("event", out var name) && name.ValueKind != JsonValueKind.Null)
        {
            eventName = name.ValueKind == JsonValueKind.String ? name.GetString()! : "";
            if (ChannelNames.Problem(eventName, "event") is { } problem)
            {
                error = SocketChannelError.BadRequest(problem + ".");
                return false;
            }
            if (s_reserved.Contains(eventName))
            {
                error = SocketChannelError.BadRequest($"'{eventName}' is reserved by Socket.IO clients.");
                return false;
            }
        }
        var data = payload.TryGetProperty("data", out var value) ? value.Clone() : default;
        request = new PublishRequest(channel, eventName, data.ValueKind == JsonValueKind.Undefined ? NullElement : data);
        return true;
    }

    private static readonly JsonElement NullElement = JsonDocument.Parse("null").RootElement.Clone();

    private static bool TryObject(SocketEvent e, out JsonElement payload, [NotNullWhen(false)] out SocketChannelError? error)
    {
        payload = default;
        error = null;
        if (e.Args.Count == 0 || e.Args[0].ValueKind != JsonValueKind.Object)
        {
            error = SocketChannelError.BadRequest($"'{e.Name}' takes one object argument, e.g. {{\"channel\":\"news\"}}.");
            return false;
        }
        payload = e.Args[0];
        return true;
    }

    private static bool TryChannel(JsonElement payload, [NotNullWhen(true)] out string? channel, [NotNullWhen(false)] out SocketChannelError? error)
    {
        channel = payload.TryGetProperty("channel", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        error = ChannelNames.Problem(channel, "channel") is { } problem
            ? SocketChannelError.BadRequest(problem + ".")
            : null;
        return error is null;
    }
}
