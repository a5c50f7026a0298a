using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// A server with every HTTP channel protocol over the main namespace, the <see cref="TestChannelAuthorizer"/>,
/// and Socket.IO (with a <c>relay</c> event): <c>/sse</c>, <c>/sse-fast</c> (100 ms heartbeat), <c>/poll</c>, <c>/poll-paged</c>
/// (3 publications per answer), <c>/api</c> (key <see cref="ApiKey"/>, scoped key <see cref="ScopedKey"/>
/// limited to <c>public-*</c>, 1 KiB bodies, 2 channels per publish). Channels named <c>small-*</c> keep
/// 3 publications of history. Tests use channels of their own (<see cref="NewChannel"/>).
/// </summary>
public class ChannelsFixture : IAsyncLifetime
{
    public const string ApiKey = "test-key";
    public const string ScopedKey = "scoped-key";
    public const int SmallHistory = 3;
    public const int MaxBodySize = 1024;
    public const int PagedPublications = 3;
    public static readonly TimeSpan FastHeartbeat = TimeSpan.FromMilliseconds(100);

    private static int s_channels;

    public TestHost Host { get; private set; } = null!;

    public LogWatcher Logs { get; } = new();

    public SocketServer Io => Host.Services.GetRequiredService<SocketServer>();

    public ChannelHub Hub => Io.Main.Channels;

    public ChannelApiClient Api { get; private set; } = null!;

    /// <summary>A channel name no other test uses.</summary>
    public static string NewChannel(string prefix = "c") => $"{prefix}-{Interlocked.Increment(ref s_channels)}";

    /// <summary>HTTP/2 only, without TLS (prior knowledge), instead of HTTP/1.1.</summary>
    protected virtual bool Http2Only => false;

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(
            builder =>
            {
                if (Http2Only)
                {
                    builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
                }
                builder.Logging.AddProvider(Logs);
                builder.Logging.AddFilter<LogWatcher>(LogWatcher.Category, LogLevel.Debug);
                builder.Services.AddSingleton<IChannelAuthorizer, TestChannelAuthorizer>();
                builder.Services.AddSwitchboard(o =>
                {
                    o.Channels.History.Add(new ChannelHistoryRule { Pattern = "small-*", Size = SmallHistory });
                    // The tests await each refusal's log line: none is throttled.
                    o.Engine.RefusalLogInterval = TimeSpan.Zero;
                });
            },
            app =>
            {
                // relay(channel, ...): publishes the event's arguments, bytes as received, to the channel.
                app.MapSocketIO("/socket.io", io => io.Main.On("relay", async e =>
                {
                    await io.To(e.Arg<string>(0)!).EmitAsync("relayed", e.Args);
                    e.Ack("ok");
                }));
                app.MapServerSentEvents("/sse", ns: "/");
                app.MapServerSentEvents("/sse-fast", configure: o =>
                {
                    o.HeartbeatInterval = FastHeartbeat;
                    o.RetryInterval = TimeSpan.FromMilliseconds(250);
                });
                app.MapLongPoll("/poll");
                app.MapLongPoll("/poll-paged", configure: o => o.MaxPublications = PagedPublications);
                app.MapChannelApi("/api", o =>
                {
                    o.ApiKeys = [ApiKey];
                    o.ScopedApiKeys = new Dictionary<string, ChannelGrant> { [ScopedKey] = new(["public-*"], ["public-*"]) };
                    o.MaxBodySize = MaxBodySize;
                    o.MaxChannels = 2;
                });
            });
        Api = new ChannelApiClient(Host.BaseAddress, Http2Only ? HttpVersion.Version20 : null);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        await Host.DisposeAsync();
    }

    /// <summary>An SSE stream that must open; query is e.g. <c>channel=a&amp;channel=b</c>.</summary>
    public Task<SseTestClient> ConnectSseAsync(string query, string? lastEventId = null, string path = "/sse") =>
        SseTestClient.ConnectAsync(Host.BaseAddress, $"{path}?{query}", lastEventId: lastEventId, version: Http2Only ? HttpVersion.Version20 : null);

    /// <summary>The query of a subscription to these channels.</summary>
    public static string Query(params string[] channels) => string.Join('&', channels.Select(c => "channel=" + Uri.EscapeDataString(c)));
}

/// <summary>The same server over HTTP/2 only (h2c with prior knowledge).</summary>
public sealed class Http2ChannelsFixture : ChannelsFixture
{
    protected override bool Http2Only => true;
}

/// <summary>A client of the HTTP API and the long-poll endpoint.</summary>
public sealed class ChannelApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Version? _version;

    public ChannelApiClient(Uri baseAddress, Version? version = null)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _version = version;
    }

    /// <summary>Sends a request with the API key (unless <paramref name="key"/> is null) in <c>X-Api-Key</c>.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, HttpContent? content = null, string? key = ChannelsFixture.ApiKey, string? token = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (_version is not null)
        {
            request.Version = _version;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        return _http.SendAsync(request).Within();
    }

    public Task<HttpResponseMessage> PostJsonAsync(string url, string json, string? key = ChannelsFixture.ApiKey) =>
        SendAsync(HttpMethod.Post, url, new StringContent(json, Encoding.UTF8, "application/json"), key);

    /// <summary>Publishes <paramref name="dataJson"/> and returns the answer, which must be 200.</summary>
    public async Task<JsonElement> PublishAsync(string channel, string dataJson, string? eventName = null, string? idempotencyKey = null, string? exclude = null)
    {
        var body = new StringBuilder("{\"channel\":").Append(JsonSerializer.Serialize(channel)).Append(",\"data\":").Append(dataJson);
        if (eventName is not null)
        {
            body.Append(",\"event\":").Append(JsonSerializer.Serialize(eventName));
        }
        if (idempotencyKey is not null)
        {
            body.Append(",\"idempotencyKey\":").Append(JsonSerializer.Serialize(idempotencyKey));
        }
        if (exclude is not null)
        {
            body.Append(",\"exclude\":").Append(JsonSerializer.Serialize(exclude));
        }
        return await ExpectJsonAsync(await PostJsonAsync("/api/publish", body.Append('}').ToString()), HttpStatusCode.OK);
    }

    /// <summary>A long poll that must succeed: <c>/poll?{query}</c>.</summary>
    public async Task<JsonElement> PollAsync(string query, string path = "/poll", string token = TestChannelAuthorizer.Good) =>
        await ExpectJsonAsync(await SendAsync(HttpMethod.Get, $"{path}?{query}", key: null, token: token), HttpStatusCode.OK);

    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static async Task<JsonElement> ExpectJsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync().Within();
            Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    /// <summary>Asserts an error answer: the status and the <c>error.code</c> of the JSON body; returns the message.</summary>
    public static async Task<string> ExpectErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await ExpectJsonAsync(response, status);
        Assert.Equal(code, body.GetProperty("error").GetProperty("code").GetString());
        var message = body.GetProperty("error").GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message!;
    }

    public void Dispose() => _http.Dispose();
}
