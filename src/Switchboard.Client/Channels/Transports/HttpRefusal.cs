using System.Net;
using System.Text.Json;

namespace Switchboard.Client.Channels.Transports;

/// <summary>Turns a refused HTTP answer into a <see cref="ChannelClientException"/> that says whether another transport may help.</summary>
internal static class HttpRefusal
{
    // Switchboard's refusals of the request itself: retrying, or another transport, gets the same answer.
    private static readonly HashSet<string> FatalCodes =
        ["forbidden", "channel_missing", "invalid_channel", "duplicate_channel", "too_many_channels", "invalid_timeout", "unsupported_protocol"];

    public static async Task<ChannelClientException> ReadAsync(HttpResponseMessage response, ChannelTransport? transport, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var code = $"http_{status}";
        var message = $"{Name(transport)}: HTTP {status}";
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String)
            {
                code = c.GetString()!;
                message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : code;
            }
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException)
        {
            // Not Switchboard's JSON refusal (a proxy's page): the status says enough.
        }
        return Create(code, message, status, transport, RetryAfter(response));
    }

    public static ChannelClientException Create(string code, string message, int status, ChannelTransport? transport, TimeSpan? retryAfter)
    {
        var fatal = FatalCodes.Contains(code);
        return new ChannelClientException(code, message, transport, status)
        {
            RetryAfter = retryAfter,
            Fatal = fatal,
            // 429/503 are the server's limits and 401 its verdict on the token: another transport would get
            // the same. Anything else that is not Switchboard's own refusal (a proxy's 403, a 404 where the
            // endpoint is not mapped, a 502) may work on the next transport.
            Fallback = !fatal && !ChannelClientException.IsAuthCode(code) && status != (int)HttpStatusCode.Unauthorized
                && status != (int)HttpStatusCode.TooManyRequests && status != (int)HttpStatusCode.ServiceUnavailable,
        };
    }

    public static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero ? delta : null;

    public static string Name(ChannelTransport? transport) => transport switch
    {
        ChannelTransport.WebSocket => "ws",
        ChannelTransport.ServerSentEvents => "sse",
        ChannelTransport.LongPoll => "poll",
        _ => "api",
    };
}
