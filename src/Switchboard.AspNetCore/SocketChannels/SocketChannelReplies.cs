namespace Switchboard.AspNetCore.SocketChannels;

// The acknowledgements of the channel events (docs/auth.md, "Socket.IO"). Every one has "ok"; a refusal
// is {"ok":false,"error":{"code":"...","message":"..."}}. Serialized with camelCase names.

/// <summary>The <c>discontinuity</c> event's argument.</summary>
internal sealed record DiscontinuityNotice(string Channel, long Offset, string Epoch);

internal sealed record SubscribeAccepted(bool Ok, string Channel, long Offset, string Epoch, bool Continuous);

internal sealed record UnsubscribeAccepted(bool Ok, string Channel);

internal sealed record PublishAccepted(bool Ok, string Channel, long Offset, string Epoch);

internal sealed record SocketChannelRefusal(bool Ok, SocketChannelError Error);

/// <summary>Why a channel event was refused: a code for programs, a message for people.</summary>
public sealed record SocketChannelError(string Code, string Message)
{
    // The codes are those of the plain WebSocket protocol (docs/protocols/websocket.md), so one table serves both.

    /// <summary>
    /// The argument is not the object the event takes, a field has the wrong shape, the channel name is
    /// empty, too long or has control characters, or the event name is so or reserved.
    /// </summary>
    public const string BadRequestCode = "bad_request";

    /// <summary>The client's grant does not cover the channel, or the channel is a socket's private room.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The server failed to carry out a valid request; it may be retried.</summary>
    public const string Internal = "internal";

    /// <summary>The backend that stores publications (Redis, in a cluster) is unreachable: nothing was done; retry later.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>The socket already has <c>Limits:MaxSubscriptionsPerSocket</c> subscriptions: unsubscribe from some first.</summary>
    public const string TooManySubscriptions = "too_many_subscriptions";

    /// <summary>A <c>bad_request</c> error with <paramref name="message"/>.</summary>
    public static SocketChannelError BadRequest(string message) => new(BadRequestCode, message);
}
