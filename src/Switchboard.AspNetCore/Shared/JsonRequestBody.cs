using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Shared;

/// <summary>Reads a JSON request body of at most a given size: 413 beyond it (checked before reading when the length is declared), 400 when it is not JSON.</summary>
internal static class JsonRequestBody
{
    public static async Task<(JsonDocument? Document, RequestProblem? Problem)> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var tooLarge = new RequestProblem(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"the body must not exceed {limit} bytes");
        if (request.ContentLength > limit)
        {
            return (null, tooLarge);
        }
        var reader = request.BodyReader;
        byte[] body;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (read.Buffer.Length > limit)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return (null, tooLarge);
            }
            if (read.IsCompleted)
            {
                body = read.Buffer.ToArray();
                reader.AdvanceTo(read.Buffer.End);
                break;
            }
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
        try
        {
            return (JsonDocument.Parse(body, JsonLimits.DocumentOptions), null);
        }
        catch (JsonException e)
        {
            return (null, new RequestProblem(StatusCodes.Status400BadRequest, "invalid_json", $"the body is not valid JSON: {e.Message}"));
        }
    }
}
