using System.Net;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.EngineIO;

public sealed class EngineErrorTests(EchoEngineFixture fixture) : IClassFixture<EchoEngineFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Host.BaseAddress };

    public void Dispose()
    {
        _http.Dispose();
        fixture.Host.Logs.AssertNoErrors();
    }

    private async Task AssertErrorAsync(HttpResponseMessage response, int code, string message)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal($"{{\"code\":{code},\"message\":\"{message}\"}}", await response.Content.ReadAsStringAsync());
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, HttpContent? content = null) =>
        _http.SendAsync(new HttpRequestMessage(method, url) { Content = content }).Within();

    [Theory]
    [InlineData("engine.io/?EIO=4&transport=carrier-pigeon")]
    [InlineData("engine.io/?EIO=4")]
    [InlineData("engine.io/?EIO=4&transport=POLLING")]
    public async Task An_unknown_transport_is_error_0(string url)
    {
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, url), 0, "Transport unknown");
    }

    [Fact]
    public async Task An_unknown_sid_is_error_1_for_get_and_post()
    {
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, "engine.io/?EIO=4&transport=polling&sid=nope"), 1, "Session ID unknown");
        await AssertErrorAsync(await SendAsync(HttpMethod.Post, "engine.io/?EIO=4&transport=polling&sid=nope", new StringContent("4x")), 1, "Session ID unknown");
    }

    [Fact]
    public async Task A_websocket_with_an_unknown_sid_is_error_1()
    {
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, "engine.io/?EIO=4&transport=websocket&sid=nope"), 1, "Session ID unknown");
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task A_handshake_other_than_get_is_error_2(string method)
    {
        await AssertErrorAsync(await SendAsync(new HttpMethod(method), "engine.io/?EIO=4&transport=polling", new StringContent("4x")), 2, "Bad handshake method");
    }

    [Fact]
    public async Task A_websocket_handshake_without_an_upgrade_is_error_3()
    {
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, "engine.io/?EIO=4&transport=websocket"), 3, "Bad request");
    }

    [Fact]
    public async Task A_session_request_with_an_unsupported_method_is_error_3()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();

        await AssertErrorAsync(await client.SendAsync(HttpMethod.Put, client.SessionUrl, new StringContent("4x")), 3, "Bad request");
    }

    [Fact]
    public async Task A_malformed_polling_payload_is_error_3_and_closes_the_session()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();

        await AssertErrorAsync(await client.PostRawAsync("9nonsense"), 3, "Bad request");

        Assert.Equal(DisconnectCode.BadRequest, await fixture.Session(client.Sid).Closed.Task.Within());
        await AssertErrorAsync(await client.GetAsync(), 1, "Session ID unknown");
    }

    [Theory]
    [InlineData("engine.io/?EIO=3&transport=polling")]
    [InlineData("engine.io/?EIO=5&transport=polling")]
    [InlineData("engine.io/?transport=polling")]
    [InlineData("engine.io/?EIO=3&transport=websocket")]
    public async Task An_unsupported_protocol_version_is_error_5(string url)
    {
        await AssertErrorAsync(await SendAsync(HttpMethod.Get, url), 5, "Unsupported protocol version");
    }

    [Fact]
    public async Task AllowRequest_refuses_a_handshake_with_403_and_lets_others_through()
    {
        using (var refused = await SendAsync(HttpMethod.Get, "guarded/?EIO=4&transport=polling&deny=1"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using (var allowed = await SendAsync(HttpMethod.Get, "guarded/?EIO=4&transport=polling"))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.StartsWith("0{", await allowed.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task AllowRequest_refuses_a_WebSocket_and_lets_others_through()
    {
        using var refused = new System.Net.WebSockets.ClientWebSocket();
        var url = EngineWebSocketClient.Url(fixture.Host.BaseAddress, "/guarded");
        await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() =>
            refused.ConnectAsync(new Uri(url + "&deny=1"), CancellationToken.None).WaitAsync(Timeouts.Default));

        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/guarded");
        await using var guarded = client;
        Assert.Equal(System.Text.Json.JsonValueKind.String, open.GetProperty("sid").ValueKind);
    }

    [Fact]
    public async Task A_new_session_keeps_the_very_request_AllowRequest_judged()
    {
        using var polling = new EnginePollingClient(fixture.Host.BaseAddress, "/guarded");
        await polling.HandshakeAsync();
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/guarded");
        await using var webSocket = client;

        Assert.True(fixture.Judged.ContainsKey(fixture.Session(polling.Sid).Session.Request));
        Assert.True(fixture.Judged.ContainsKey(fixture.Session(open.GetProperty("sid").GetString()!).Session.Request));
    }
}
