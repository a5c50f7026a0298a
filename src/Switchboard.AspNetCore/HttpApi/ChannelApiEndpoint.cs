using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Channels;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.HttpApi;

/// <summary>
/// The HTTP API for backends over one namespace's channels (docs/protocols/http-api.md): publish, history,
/// presence, disconnect, authenticated with an API key. This file holds the key check, the shared answer
/// helpers and publish; ChannelApiEndpoint.Queries.cs the rest.
/// </summary>
internal sealed partial class ChannelApiEndpoint(ChannelHub hub, ChannelApiOptions options, TimeProvider time, ILogger logger)
{
    private const string Name = "HTTP API";
    private readonly ApiKeyRing _keys = new(options);
    private readonly IdempotencyCache _idempotency = new(options.IdempotencyWindow, options.MaxIdempotencyKeys, time);

    /// <summary>The publish answers remembered for their idempotency keys (for tests and metrics).</summary>
    internal int RememberedIdempotencyKeys => _idempotency.Count;

    /// <summary>
    /// <c>POST publish</c> <c>{"channel":"a"} or {"channels":[...]}, "event", "data", "idempotencyKey", "exclude"</c>
    /// → <c>{"seq":N,"results":{"a":{"offset":N,"epoch":"E"}}}</c>.
    /// </summary>
    public async Task PublishAsync(HttpContext context)
    {
        if (await AuthenticateAsync(context).ConfigureAwait(false) is not { } caller)
        {
            return;
        }
        var (document, problem) = await JsonRequestBody.ReadAsync(context.Request, options.MaxBodySize, context.RequestAborted).ConfigureAwait(false);
        using (document)
        {
            PublishRequest request = default;
            problem ??= ReadPublish(document!.RootElement, out request);
            if (problem is null)
            {
                foreach (var channel in request.Channels)
                {
                    if (!caller.Grant.CanPublish(channel))
                    {
                        problem = Forbidden($"this key may not publish to '{channel}'");
                        break;
                    }
                }
            }
            if (problem is { } refusal)
            {
                await refusal.WriteAsync(context, logger, Name).ConfigureAwait(false);
                return;
            }

            byte[] answer;
            try
            {
                if (request.IdempotencyKey is { } key)
                {
                    (answer, var replayed) = await _idempotency.GetOrRunAsync($"{caller.KeyIndex}:{key}", () => PublishNowAsync(request)).ConfigureAwait(false);
                    if (replayed)
                    {
                        ChannelEndpointLog.IdempotentReplay(logger, key);
                        context.Response.Headers["Idempotent-Replayed"] = "true";
                    }
                }
                else
                {
                    answer = await PublishNowAsync(request).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (BackendFailure.IsUnavailable(ex))
            {
                // Not published: say so, so the backend retries (with the same idempotency key, if it gave one).
                ChannelEndpointLog.PublishUnavailable(logger, request.Channels, ex.Message);
                context.Response.Headers.RetryAfter = "1";
                await ChannelRequestAuth.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, BackendFailure.Code,
                    "the publication could not be stored: the channel backend is unavailable; nothing was published, retry later").ConfigureAwait(false);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Publishes and returns the answer's bytes. A publish once accepted is completed even if the caller goes away.</summary>
    private async Task<byte[]> PublishNowAsync(PublishRequest request)
    {
        var result = await hub.PublishAsync(request.Channels, request.Event, [request.Data], publisherId: request.Exclude, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        ChannelEndpointLog.Published(logger, request.Event, request.Channels, result.Seq);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("seq"u8, result.Seq);
            w.WriteStartObject("results"u8);
            foreach (var channel in request.Channels)
            {
                w.WritePropertyName(channel);
                ChannelJson.WriteOffsetEpoch(w, result.Positions[channel]);
            }
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private readonly record struct PublishRequest(string[] Channels, string Event, JsonElement Data, string? IdempotencyKey, string? Exclude);

    private RequestProblem? ReadPublish(JsonElement root, out PublishRequest request)
    {
        request = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return BadRequest("invalid_body", "the body must be a JSON object");
        }
        var hasChannel = TryGet(root, "channel", out var channel);
        var hasChannels = TryGet(root, "channels", out var channelList);
        string[] channels;
        if (hasChannel == hasChannels)
        {
            return hasChannel
                ? BadRequest("invalid_field", "give either channel or channels, not both")
                : BadRequest("missing_field", "channel or channels is required");
        }
        if (hasChannel)
        {
            if (channel.ValueKind != JsonValueKind.String)
            {
                return BadRequest("invalid_field", "channel must be a string");
            }
            channels = [channel.GetString()!];
        }
        else
        {
            if (channelList.ValueKind != JsonValueKind.Array || channelList.EnumerateArray().Any(c => c.ValueKind != JsonValueKind.String))
            {
                return BadRequest("invalid_field", "channels must be an array of strings");
            }
            channels = [.. channelList.EnumerateArray().Select(c => c.GetString()!)];
        }
        if (ChannelNames.CheckList(channels, options.MaxChannels) is { } channelProblem)
        {
            return channelProblem;
        }

        var eventName = "message";
        if (TryGet(root, "event", out var eventElement))
        {
            if (ReadName(eventElement, "event") is not { } name)
            {
                return NameProblem(eventElement, "event");
            }
            eventName = name;
        }
        if (!root.TryGetProperty("data", out var data))
        {
            return BadRequest("missing_field", "data is required (any JSON value, null included)");
        }
        string? idempotencyKey = null;
        if (TryGet(root, "idempotencyKey", out var keyElement) && (idempotencyKey = ReadName(keyElement, "idempotencyKey")) is null)
        {
            return NameProblem(keyElement, "idempotencyKey");
        }
        string? exclude = null;
        if (TryGet(root, "exclude", out var excludeElement) && (exclude = ReadName(excludeElement, "exclude")) is null)
        {
            return NameProblem(excludeElement, "exclude");
        }
        // Cloned: the publication outlives the request's document, in history.
        request = new PublishRequest(channels, eventName, data.Clone(), idempotencyKey, exclude);
        return null;
    }

    /// <summary>Answers 401 unless the request carries a configured key.</summary>
    private async Task<ApiCaller?> AuthenticateAsync(HttpContext context)
    {
        var key = ApiKeyRing.ReadKey(context.Request);
        var caller = key is null ? null : _keys.Find(key);
        if (caller is null)
        {
            var problem = key is null
                ? new RequestProblem(StatusCodes.Status401Unauthorized, "api_key_missing", "an API key is required (X-Api-Key or Authorization: Bearer)")
                : new RequestProblem(StatusCodes.Status401Unauthorized, "api_key_invalid", "the API key is not valid");
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await problem.WriteAsync(context, logger, Name).ConfigureAwait(false);
        }
        return caller;
    }

    /// <summary>A property that is present and not null.</summary>
    private static bool TryGet(JsonElement root, string name, out JsonElement value) =>
        root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static string? ReadName(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.String && ChannelNames.Problem(element.GetString(), what) is null ? element.GetString() : null;

    private static RequestProblem NameProblem(JsonElement element, string what) =>
        BadRequest("invalid_field", element.ValueKind == JsonValueKind.String ? ChannelNames.Problem(element.GetString(), what)! : $"{what} must be a string");

    private static RequestProblem BadRequest(string code, string message) => new(StatusCodes.Status400BadRequest, code, message);

    private static RequestProblem Forbidden(string message) => new(StatusCodes.Status403Forbidden, "forbidden", message);

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = ChannelJson.CreateWriter(buffer))
        {
            write(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Json(write), context.RequestAborted).ConfigureAwait(false);
    }
}
