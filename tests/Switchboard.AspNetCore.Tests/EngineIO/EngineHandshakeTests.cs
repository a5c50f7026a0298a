using System.Net.Http.Headers;
using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Tests.EngineIO;

public sealed class EngineHandshakeTests(EchoEngineFixture fixture) : IClassFixture<EchoEngineFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task Polling_handshake_answers_the_open_packet_with_the_default_options()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");

        var records = await client.HandshakeAsync();

        Assert.Single(records);
        var sid = client.Sid;
        Assert.Equal(20, sid.Length);
        Assert.Matches("^[A-Za-z0-9_-]+$", sid);
        Assert.Equal(
            $"0{{\"sid\":\"{sid}\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}}",
            records[0]);
        var session = fixture.Session(sid).Session;
        Assert.Equal(EngineTransportKind.Polling, session.Transport);
        Assert.False(session.IsClosed);
    }

    [Fact]
    public async Task Polling_handshake_is_plain_text_and_not_cached()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };

        using var response = await http.GetAsync("engine.io/?EIO=4&transport=polling").Within();

        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Polling_handshake_advertises_the_configured_options()
    {
        using var small = new EnginePollingClient(fixture.Host.BaseAddress, "/small");
        using var fast = new EnginePollingClient(fixture.Host.BaseAddress, "/fast");

        await small.HandshakeAsync();
        await fast.HandshakeAsync();

        Assert.Equal(EchoEngineFixture.SmallMaxPayload, small.Open.GetProperty("maxPayload").GetInt64());
        Assert.Equal(200, fast.Open.GetProperty("pingInterval").GetInt32());
        Assert.Equal(200, fast.Open.GetProperty("pingTimeout").GetInt32());
    }

    [Fact]
    public async Task WebSocket_handshake_sends_the_open_packet_first_and_offers_no_upgrades()
    {
        await using var client = await EngineWebSocketClient.ConnectAsync(fixture.Host.BaseAddress, "/engine.io");

        var open = await client.ReceiveTextAsync();

        using var json = JsonDocument.Parse(open[1..]);
        var sid = json.RootElement.GetProperty("sid").GetString()!;
        Assert.Equal(
            $"0{{\"sid\":\"{sid}\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}}",
            open);
        Assert.Equal(EngineTransportKind.WebSocket, fixture.Session(sid).Session.Transport);
    }

    [Fact]
    public async Task Every_handshake_opens_a_new_session()
    {
        using var first = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        using var second = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        var (ws, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var _ = ws;

        await first.HandshakeAsync();
        await second.HandshakeAsync();

        var sids = new[] { first.Sid, second.Sid, open.GetProperty("sid").GetString()! };
        Assert.Equal(3, sids.Distinct().Count());
        Assert.All(sids, sid => Assert.False(fixture.Session(sid).Session.IsClosed));
    }

    [Fact]
    public async Task The_endpoint_answers_with_and_without_a_trailing_slash()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };

        using var withSlash = await http.GetAsync("engine.io/?EIO=4&transport=polling").Within();
        using var withoutSlash = await http.GetAsync("engine.io?EIO=4&transport=polling").Within();

        Assert.StartsWith("0{\"sid\":", await withSlash.Content.ReadAsStringAsync());
        Assert.StartsWith("0{\"sid\":", await withoutSlash.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_handshake_request_is_remembered_by_the_session()
    {
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "engine.io/?EIO=4&transport=polling&token=abc");
        request.Headers.Add("X-Test", "header value");
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("switchboard-tests", "1.0"));

        using var response = await http.SendAsync(request).Within();

        var open = (await response.Content.ReadAsStringAsync())[1..];
        var sid = JsonDocument.Parse(open).RootElement.GetProperty("sid").GetString()!;
        var handshake = fixture.Session(sid).Session.Request;
        Assert.Equal("abc", handshake.Query["token"]);
        Assert.Equal("header value", handshake.Headers["x-test"]);
        Assert.Equal("header value", handshake.Headers["X-Test"]);
        Assert.Contains("token=abc", handshake.Url);
        Assert.False(handshake.IsSecure);
        Assert.NotNull(handshake.RemoteAddress);
        Assert.True(System.Net.IPAddress.IsLoopback(handshake.RemoteAddress));
    }
}
