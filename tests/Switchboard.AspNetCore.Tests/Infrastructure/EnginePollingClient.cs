using System.Net;
using System.Text;
using System.Text.Json;

namespace Switchboard.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A raw Engine.IO v4 HTTP long-polling client. Payload records are returned as their wire text:
/// text packets with their type digit, binary packets as <c>b</c> + base64.
/// </summary>
public sealed class EnginePollingClient : IDisposable
{
    private readonly HttpClient _http;

    public EnginePollingClient(Uri baseAddress, string path)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Path = path.Trim('/') + "/";
    }

    public string Path { get; }

    public string Sid { get; private set; } = "";

    /// <summary>The JSON of the open packet received by <see cref="HandshakeAsync"/>.</summary>
    public JsonElement Open { get; private set; }

    public string Url(string? sid = null) => $"{Path}?EIO=4&transport=polling" + (sid is null ? "" : "&sid=" + Uri.EscapeDataString(sid));

    public string SessionUrl => Url(Sid);

    /// <summary>Opens a session; returns every record of the handshake response (the open packet first).</summary>
    public async Task<IReadOnlyList<string>> HandshakeAsync()
    {
        using var response = await _http.GetAsync(Url()).Within();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var records = SplitPayload(await response.Content.ReadAsStringAsync().Within());
        Assert.StartsWith("0{", records[0]);
        Open = JsonDocument.Parse(records[0][1..]).RootElement.Clone();
        Sid = Open.GetProperty("sid").GetString()!;
        return records;
    }

    /// <summary>A GET on the session that must succeed; returns the payload's records.</summary>
    public async Task<IReadOnlyList<string>> PollAsync()
    {
        using var response = await GetAsync();
        var body = await response.Content.ReadAsStringAsync().Within();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"poll answered {(int)response.StatusCode}: {body}");
        return SplitPayload(body);
    }

    /// <summary>A GET on the session, answered however the server chooses.</summary>
    public Task<HttpResponseMessage> GetAsync() => _http.GetAsync(SessionUrl).Within();

    /// <summary>Posts packets (each with its type digit, or <c>b</c>+base64) that must be accepted.</summary>
    public async Task PostAsync(params string[] records)
    {
        using var response = await PostRawAsync(string.Join('\u001e', records));
        var body = await response.Content.ReadAsStringAsync().Within();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST answered {(int)response.StatusCode}: {body}");
        Assert.Equal("ok", body);
    }

    public Task<HttpResponseMessage> PostRawAsync(string body) =>
        _http.PostAsync(SessionUrl, new StringContent(body, Encoding.UTF8, "text/plain")).Within();

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, HttpContent? content = null) =>
        _http.SendAsync(new HttpRequestMessage(method, url) { Content = content }).Within();

    public static IReadOnlyList<string> SplitPayload(string payload) => payload.Split('\u001e');

    public static string Binary(byte[] data) => "b" + Convert.ToBase64String(data);

    public void Dispose() => _http.Dispose();
}
