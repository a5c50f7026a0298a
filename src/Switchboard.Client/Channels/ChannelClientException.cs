namespace Switchboard.Client.Channels;

/// <summary>
/// A refusal or failure of the channel client: <see cref="Code"/> is the server's <c>error.code</c>
/// (<c>forbidden</c>, <c>token_expired</c>, <c>rate_limited</c>, ...) or one of the client's
/// (<c>transport_failed</c>, <c>connect_timeout</c>, <c>timeout</c>, <c>not_connected</c>, <c>publish_unavailable</c>, <c>closed</c>, <c>bad_response</c>).
/// </summary>
public sealed class ChannelClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ChannelClientException(string code, string message, ChannelTransport? transport = null, int? statusCode = null, string? channel = null, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        Transport = transport;
        StatusCode = statusCode;
        Channel = channel;
    }

    /// <summary>The error's code.</summary>
    public string Code { get; }

    /// <summary>The transport it happened on, if any.</summary>
    public ChannelTransport? Transport { get; }

    /// <summary>The HTTP status of a refused request, if it was one.</summary>
    public int? StatusCode { get; }

    /// <summary>The channel concerned (a refused subscription), if any.</summary>
    public string? Channel { get; }

    /// <summary>The server's <c>Retry-After</c>, if it sent one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Whether the next transport may do better (a proxy's refusal, an endpoint that is not there, a network failure).</summary>
    internal bool Fallback { get; init; }

    /// <summary>Whether the request itself is refused, so no retry and no other transport can help.</summary>
    internal bool Fatal { get; init; }

    internal bool IsAuth => IsAuthCode(Code);

    internal static bool IsAuthCode(string code) => code is "token_missing" or "token_expired" or "token_invalid" or "unauthorized";
}
