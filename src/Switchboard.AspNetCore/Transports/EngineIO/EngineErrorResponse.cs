using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>Engine.IO's error answer: <c>{"code":N,"message":"..."}</c> with status 400 (or 403).</summary>
internal static class EngineErrorResponse
{
    public static Task WriteAsync(HttpContext context, EngineError error, int status = StatusCodes.Status400BadRequest) =>
        WriteAsync(context, error, EngineErrors.Message(error), status);

    /// <summary>The same answer with a message of its own (a limit's code, docs/protection.md).</summary>
    public static Task WriteAsync(HttpContext context, EngineError error, string message, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody((int)error, message), ErrorJson.Default.ErrorBody);
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }
}

internal sealed record ErrorBody(int Code, string Message);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ErrorJson : System.Text.Json.Serialization.JsonSerializerContext;
