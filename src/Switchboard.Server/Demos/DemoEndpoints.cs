using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Switchboard.AspNetCore.Shared;
using Switchboard.Protocols;

namespace Switchboard.Server.Demos;

/// <summary>
/// The HTTP side of the demo pages (their data flows through the channel endpoints):
/// <list type="bullet">
/// <item><c>GET /demo/ticker</c>: <c>{"symbols":[...],"channels":[...],"event":"price"}</c>, what ticker.html subscribes to.</item>
/// <item><c>POST /demo/answers</c> <c>{"prompt":"..."}</c>: starts an answer; 201 <c>{"id","channel","cursor","tokens"}</c>.
/// 400 for a bad prompt, 413 for a body over 4 KiB, 429 when too many answers are being written.</item>
/// <item><c>GET /demo/answers/{id}</c>: <c>{"id","prompt","text","tokens","published","done"}</c>, or 404.</item>
/// </list>
/// Errors have the channel endpoints' body, <c>{"error":{"code","message"}}</c>.
/// </summary>
internal static class DemoEndpoints
{
    private const long MaxBody = 4096;

    public static void AddDemos(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DemoOptions>()
            .Bind(builder.Configuration.GetSection(DemoOptions.SectionName))
            .Validate(o => { o.Validate(); return true; })
            .ValidateOnStart();
        builder.Services.AddSingleton<AnswerStreams>();
        builder.Services.AddHostedService<MarketSimulator>();
    }

    /// <summary>A demo request body is client JSON: the one depth limit of every protocol.</summary>
    private static readonly JsonSerializerOptions BodyJson = new() { MaxDepth = JsonLimits.MaxDepth };

    public static void MapDemos(this WebApplication app)
    {
        var group = app.MapGroup("/demo");
        group.MapGet("/ticker", (IOptions<DemoOptions> options) =>
        {
            var symbols = options.Value.Symbols;
            return Results.Json(new { symbols, channels = symbols.Select(MarketSimulator.Channel), @event = MarketSimulator.EventName });
        });
        group.MapPost("/answers", (RequestDelegate)StartAnswerAsync);
        group.MapGet("/answers/{id}", (string id, AnswerStreams streams) => streams.Find(id) is { } answer
            ? Results.Json(new { id = answer.Id, prompt = answer.Prompt, text = answer.Text, tokens = answer.Tokens.Length, published = answer.Published, done = answer.Done })
            : Results.Json(new { error = new { code = "not_found", message = $"no answer '{id}'" } }, statusCode: StatusCodes.Status404NotFound));
    }

    private static async Task StartAnswerAsync(HttpContext context)
    {
        var logger = context.RequestServices.GetRequiredService<ILogger<AnswerStreams>>();
        Task Refuse(int status, string code, string message)
        {
            DemoLog.RequestRefused(logger, status, code, message);
            return ChannelRequestAuth.WriteErrorAsync(context, status, code, message);
        }

        if (context.Request.ContentLength > MaxBody)
        {
            await Refuse(StatusCodes.Status413PayloadTooLarge, "too_large", $"the body is at most {MaxBody} bytes");
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBody;
        }
        JsonElement body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, BodyJson, context.RequestAborted);
        }
        catch (JsonException)
        {
            await Refuse(StatusCodes.Status400BadRequest, "bad_request", "the body must be a JSON object with a prompt string");
            return;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Refuse(StatusCodes.Status413PayloadTooLarge, "too_large", $"the body is at most {MaxBody} bytes");
            return;
        }
        var prompt = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("prompt", out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!.Trim()
            : null;
        if (prompt is null or { Length: 0 } || prompt.Length > AnswerStreams.MaxPromptLength || prompt.Any(char.IsControl))
        {
            await Refuse(StatusCodes.Status400BadRequest, "bad_request", $"prompt must be 1 to {AnswerStreams.MaxPromptLength} characters of text, without control characters");
            return;
        }
        var streams = context.RequestServices.GetRequiredService<AnswerStreams>();
        if (await streams.StartAsync(prompt) is not var (answer, cursor))
        {
            await Refuse(StatusCodes.Status429TooManyRequests, "busy", "too many answers are being written; try again in a moment");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = $"/demo/answers/{answer.Id}";
        await context.Response.WriteAsJsonAsync(new { id = answer.Id, channel = answer.Channel, cursor, tokens = answer.Tokens.Length });
    }
}
