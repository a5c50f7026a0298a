using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>
/// A Socket.IO server whose Engine.IO events (<c>io.Engine</c>) are recorded: connection errors, the
/// header events (the initial one sets a cookie and a header, every one adds <c>X-Engine-Response</c>
/// and the request's <c>mark</c> query value is echoed), and each session's upgrade events.
/// </summary>
public sealed class EngineEventsFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public Channel<EngineConnectionError> Errors { get; } = Channel.CreateUnbounded<EngineConnectionError>();

    public ConcurrentQueue<(string Event, string Url)> HeaderEvents { get; } = new();

    public ConcurrentDictionary<string, Channel<(string Event, EngineTransportKind Transport)>> Upgrades { get; } = new();

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(o =>
            {
                o.Engine.RefusalLogInterval = TimeSpan.Zero;
                o.Engine.AllowRequest = request => ValueTask.FromResult(!request.Query.ContainsKey("deny"));
            }),
            app => app.MapSocketIO("/socket.io", io =>
            {
                io.Engine.ConnectionError += error => Errors.Writer.TryWrite(error);
                io.Engine.InitialHeaders += e =>
                {
                    HeaderEvents.Enqueue(("initial_headers", e.Request.Url));
                    e.Headers["Set-Cookie"] = "engine-test=1; Path=/";
                };
                io.Engine.Headers += e =>
                {
                    HeaderEvents.Enqueue(("headers", e.Request.Url));
                    e.Headers["X-Engine-Response"] = e.IsInitial ? "initial" : "later";
                    if (e.Request.Query.TryGetValue("mark", out var mark))
                    {
                        e.Headers["Cache-Control"] = "private, " + mark;
                    }
                    if (e.Request.Query.ContainsKey("boom"))
                    {
                        throw new InvalidOperationException("a failing headers handler");
                    }
                };
                io.Engine.Connection += session =>
                {
                    var events = Upgrades.GetOrAdd(session.Id, _ => Channel.CreateUnbounded<(string, EngineTransportKind)>());
                    session.UpgradeStarted += (s, transport) => events.Writer.TryWrite(("upgrading", transport));
                    session.Upgraded += (s, transport) => events.Writer.TryWrite(("upgrade", transport));
                };
            }));
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class EngineEventsTests(EngineEventsFixture fixture) : IClassFixture<EngineEventsFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Host.BaseAddress };

    public void Dispose()
    {
        _http.Dispose();
        fixture.Host.Logs.AssertNoErrors();
    }

    /// <summary>Sends a request that must be refused, then returns the connection error raised for it.</summary>
    private async Task<EngineConnectionError> RefusedAsync(HttpMethod method, string url, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        while (fixture.Errors.Reader.TryRead(out _))
        {
        }
        using var response = await _http.SendAsync(new HttpRequestMessage(method, url) { Content = method == HttpMethod.Get ? null : new StringContent("4x") }).Within();
        Assert.Equal(status, response.StatusCode);
        var error = await fixture.Errors.Reader.ReadAsync().AsTask().Within();
        Assert.EndsWith(url.TrimStart('/'), error.Request.Url, StringComparison.Ordinal);
        Assert.Equal($"{{\"code\":{(int)error.Code},\"message\":\"{error.Message}\"}}", await response.Content.ReadAsStringAsync());
        return error;
    }

    [Fact]
    public async Task An_unknown_sid_raises_connection_error_1_with_the_sid()
    {
        var error = await RefusedAsync(HttpMethod.Get, "/socket.io/?EIO=4&transport=polling&sid=bogus");

        Assert.Equal(EngineError.UnknownSid, error.Code);
        Assert.Equal("Session ID unknown", error.Message);
        Assert.Equal("bogus", error.Context["sid"]);
    }

    [Fact]
    public async Task Each_kind_of_refusal_raises_connection_error_with_its_context()
    {
        var transport = await RefusedAsync(HttpMethod.Get, "/socket.io/?EIO=4&transport=pigeon");
        Assert.Equal((EngineError.UnknownTransport, "Transport unknown", "pigeon"), (transport.Code, transport.Message, transport.Context["transport"]));

        var version = await RefusedAsync(HttpMethod.Get, "/socket.io/?EIO=9&transport=polling");
        Assert.Equal((EngineError.UnsupportedProtocolVersion, "9"), (version.Code, version.Context["protocol"]));

        var method = await RefusedAsync(HttpMethod.Post, "/socket.io/?EIO=4&transport=polling");
        Assert.Equal((EngineError.BadHandshakeMethod, "POST"), (method.Code, method.Context["method"]));

        var handshake = await RefusedAsync(HttpMethod.Get, "/socket.io/?EIO=4&transport=websocket");
        Assert.Equal((EngineError.BadRequest, "TRANSPORT_HANDSHAKE_ERROR"), (handshake.Code, handshake.Context["name"]));

        var forbidden = await RefusedAsync(HttpMethod.Get, "/socket.io/?EIO=4&transport=polling&deny=1", HttpStatusCode.Forbidden);
        Assert.Equal((EngineError.Forbidden, "Forbidden"), (forbidden.Code, forbidden.Message));
    }

    [Fact]
    public async Task A_poll_after_the_upgrade_raises_a_transport_mismatch()
    {
        using var polling = new EnginePollingClient(fixture.Host.BaseAddress, "/socket.io");
        await polling.HandshakeAsync();
        await using var ws = await EngineWebSocketClient.ConnectAsync(fixture.Host.BaseAddress, "/socket.io", polling.Sid);
        await ws.SendAsync("2probe");
        Assert.Equal("3probe", await ws.ReceiveTextAsync());
        await ws.SendAsync("5");
        var upgrades = fixture.Upgrades[polling.Sid].Reader;
        Assert.Equal(("upgrading", EngineTransportKind.WebSocket), await upgrades.ReadAsync().AsTask().Within());
        Assert.Equal(("upgrade", EngineTransportKind.WebSocket), await upgrades.ReadAsync().AsTask().Within());

        var error = await RefusedAsync(HttpMethod.Get, polling.SessionUrl);

        Assert.Equal((EngineError.BadRequest, "TRANSPORT_MISMATCH"), (error.Code, error.Context["name"]));
    }

    [Fact]
    public async Task The_initial_headers_go_on_the_handshake_only_and_the_headers_on_every_response()
    {
        using var handshake = await _http.GetAsync("/socket.io/?EIO=4&transport=polling&mark=first").Within();
        Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        Assert.Equal("engine-test=1; Path=/", Assert.Single(handshake.Headers.GetValues("Set-Cookie")));
        Assert.Equal("initial", Assert.Single(handshake.Headers.GetValues("X-Engine-Response")));
        Assert.Equal("private, first", handshake.Headers.CacheControl?.ToString());
        var sid = System.Text.Json.JsonDocument.Parse((await handshake.Content.ReadAsStringAsync())[1..]).RootElement.GetProperty("sid").GetString()!;

        using var post = await _http.PostAsync($"/socket.io/?EIO=4&transport=polling&sid={sid}", new StringContent("40")).Within();
        using var poll = await _http.GetAsync($"/socket.io/?EIO=4&transport=polling&sid={sid}&mark=second").Within();

        foreach (var response in new[] { post, poll })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"));
            Assert.Equal("later", Assert.Single(response.Headers.GetValues("X-Engine-Response")));
        }
        Assert.Equal("private, second", poll.Headers.CacheControl?.ToString());
        Assert.StartsWith("40{\"sid\":", await poll.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var events = fixture.HeaderEvents.Where(e => e.Url.Contains(sid, StringComparison.Ordinal) || e.Url.Contains("mark=first", StringComparison.Ordinal)).Select(e => e.Event).ToArray();
        Assert.Equal(["initial_headers", "headers", "headers", "headers"], events);
    }

    [Fact]
    public async Task A_failing_handler_is_logged_and_the_response_goes_out()
    {
        using var handshake = await _http.GetAsync("/socket.io/?EIO=4&transport=polling&boom=1").Within();

        Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        Assert.StartsWith("0{\"sid\":", await handshake.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var error = Assert.Single(fixture.Host.Logs.TakeErrors());
        Assert.Contains("A handler of the Engine.IO headers event failed", error, StringComparison.Ordinal);
        Assert.Contains("a failing headers handler", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_websocket_handshake_carries_the_initial_headers()
    {
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(EngineWebSocketClient.Url(fixture.Host.BaseAddress, "/socket.io"), CancellationToken.None).Within();

        Assert.Equal("engine-test=1; Path=/", socket.HttpResponseHeaders!["Set-Cookie"].Single());
        Assert.Equal("initial", socket.HttpResponseHeaders["X-Engine-Response"].Single());
        await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).Within();
    }
}
