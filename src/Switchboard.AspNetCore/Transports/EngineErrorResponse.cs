using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Transports;

/// <summary>Engine.IO's error answer: <c>{"code":N,"message":"..."}</c> with status 400 (or 403).</summary>
internal static class EngineErrorResponse
{
    public static Task WriteAsync(HttpContext context, EngineError error, int status = StatusCodes.Status400BadRequest)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody((int)error, EngineErrors.Message(error)), ErrorJson.Default.ErrorBody);
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body).AsTask();
    }
}

internal sealed record ErrorBody(int Code, string Message);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ErrorBody))]
internal sealed partial class ErrorJson : System.Text.Json.Serialization.JsonSerializerContext;
