namespace Switchboard.AspNetCore.SocketChannels;

// The acknowledgements of the channel events (docs/auth.md, "Socket.IO"). Every one has "ok"; a refusal
// is {"ok":false,"error":{"code":"...","message":"..."}}. Serialized with camelCase names.

internal sealed record SubscribeAccepted(bool Ok, string Channel, long Offset, string Epoch, bool Continuous);

internal sealed record UnsubscribeAccepted(bool Ok, string Channel);

internal sealed record PublishAccepted(bool Ok, string Channel, long Offset, string Epoch);

internal sealed record SocketChannelRefusal(bool Ok, SocketChannelError Error);

/// <summary>Why a channel event was refused: a code for programs, a message for people.</summary>
public sealed record SocketChannelError(string Code, string Message)
{
    /// <summary>The argument is not the object the event takes, or one of its fields has the wrong shape.</summary>
    public const string BadRequestCode = "bad_request";

    /// <summary>The channel name is empty, too long, or has control characters.</summary>
    public const string InvalidChannel = "invalid_channel";

    /// <summary>The publication's event name is empty, too long, has control characters, or is reserved.</summary>
    public const string InvalidEvent = "invalid_event";

    /// <summary>The client's grant does not cover the channel.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The server failed; the request may be retried.</summary>
    public const string Internal = "internal_error";

    public static SocketChannelError BadRequest(string message) => new(BadRequestCode, message);
}
