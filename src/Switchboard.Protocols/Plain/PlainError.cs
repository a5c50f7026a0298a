namespace Switchboard.Protocols.Plain;

/// <summary>The <c>error.code</c> of a refused request (the table in docs/protocols/websocket.md).</summary>
public enum PlainErrorCode
{
    /// <summary>The frame is not valid JSON, not an object, or a field is missing or of the wrong type.</summary>
    BadRequest,

    /// <summary>The <c>op</c> is not one this version knows.</summary>
    UnknownOp,

    /// <summary>The client's grant does not allow this on this channel.</summary>
    Forbidden,

    /// <summary>Unsubscribe from a channel the connection is not subscribed to.</summary>
    NotSubscribed,

    /// <summary>Subscribe to a channel the connection is already subscribed to.</summary>
    AlreadySubscribed,

    /// <summary>The connection holds the most subscriptions it may.</summary>
    TooManySubscriptions,

    /// <summary>Publishing faster than the connection's rate limit.</summary>
    RateLimited,

    /// <summary>A message larger than the server accepts (sent with the close that follows).</summary>
    TooLarge,

    /// <summary>The server failed to carry out a valid request.</summary>
    Internal,
}

/// <summary>Why a request was refused; <see cref="Id"/> is the request's raw id when it could be read.</summary>
public readonly record struct PlainError(PlainErrorCode Code, string Message, ReadOnlyMemory<byte> Id = default);

/// <summary>The wire names of <see cref="PlainErrorCode"/>.</summary>
public static class PlainErrorCodeExtensions
{
    /// <summary>The code as it appears on the wire, e.g. <c>bad_request</c>.</summary>
    public static string ToWireName(this PlainErrorCode code) => code switch
    {
        PlainErrorCode.BadRequest => "bad_request",
        PlainErrorCode.UnknownOp => "unknown_op",
        PlainErrorCode.Forbidden => "forbidden",
        PlainErrorCode.NotSubscribed => "not_subscribed",
        PlainErrorCode.AlreadySubscribed => "already_subscribed",
        PlainErrorCode.TooManySubscriptions => "too_many_subscriptions",
        PlainErrorCode.RateLimited => "rate_limited",
        PlainErrorCode.TooLarge => "too_large",
        PlainErrorCode.Internal => "internal",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };
}
