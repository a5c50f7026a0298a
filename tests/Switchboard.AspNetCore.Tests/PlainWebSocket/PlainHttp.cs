using System.Net;
using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>Plain HTTP requests to a WebSocket endpoint, to read the answers given before an upgrade.</summary>
public static class PlainHttp
{
    /// <summary>Sends a WebSocket handshake request (or a plain GET) and returns the status, headers and JSON body of the refusal.</summary>
    public static async Task<(HttpStatusCode Status, HttpResponseMessage Response, JsonElement Body)> RefusalAsync(
        TestHost host, string pathAndQuery, bool upgrade = true, Action<HttpRequestMessage>? configure = null)
    {
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery.TrimStart('/'));
        if (upgrade)
        {
            request.Headers.Connection.Add("Upgrade");
            request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
            request.Headers.Add("Sec-WebSocket-Version", "13");
            request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        }
        configure?.Invoke(request);
        var response = await http.SendAsync(request).Within();
        var text = await response.Content.ReadAsStringAsync().Within();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, response, JsonDocument.Parse(text).RootElement.Clone());
    }

    public static string ErrorCode(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;
}
