using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore;
using Switchboard.AspNetCore.Auth;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.Client.Tests.Infrastructure;

/// <summary>
/// A real Switchboard (Kestrel on a loopback port) with every channel protocol: <c>/ws</c>, <c>/sse</c>,
/// <c>/poll</c> and the HTTP API <c>/api</c> (key <see cref="ApiKey"/>). Channels named <c>small-*</c> keep
/// <see cref="SmallHistory"/> publications. In front of the endpoints, a gate plays the network: it refuses
/// paths (<see cref="Block"/>, as a proxy's 403 would), cuts the connections it holds (<see cref="Cut"/>), and
/// counts requests and 401s. With <see cref="Jwt"/>, tokens are checked as docs/auth.md says, against
/// <see cref="AuthClock"/>. <see cref="RestartAsync"/> starts a new server (new epochs) on the same port.
/// </summary>
public sealed class ChannelServer : IAsyncDisposable
{
    public const string ApiKey = "client-tests-key";
    public const string Secret = "client-tests-secret-0123456789-abcdefgh";
    public const int SmallHistory = 3;
    private static int s_channels;

    private readonly ConcurrentDictionary<HttpContext, string> _open = new();
    private readonly ConcurrentDictionary<string, int> _requests = new();
    private readonly ConcurrentDictionary<string, byte> _blocked = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly TimeProvider? _authClock;
    private WebApplication? _app;
    private int _unauthorized;
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChannelServer(TimeProvider? authClock) => _authClock = authClock;

    public Uri Uri { get; private set; } = null!;

    public bool Jwt => _authClock is not null;

    public TimeProvider? AuthClock => _authClock;

    /// <summary>How many 401 answers the server gave.</summary>
    public int Unauthorized => Volatile.Read(ref _unauthorized);

    /// <summary>A channel name no other test uses.</summary>
    public static string NewChannel(string prefix = "c") => $"{prefix}-{Interlocked.Increment(ref s_channels)}";

    /// <summary>Starts a server; with <paramref name="authClock"/>, JWT authentication (HS256, <see cref="Secret"/>, no clock skew) on that clock.</summary>
    public static async Task<ChannelServer> StartAsync(TimeProvider? authClock = null)
    {
        var server = new ChannelServer(authClock);
        await server.StartAppAsync(0);
        return server;
    }

    /// <summary>Requests seen for a path (<c>/ws</c>, <c>/sse</c>, <c>/poll</c>).</summary>
    public int Requests(string path) => _requests.GetValueOrDefault(path);

    /// <summary>Refuses requests to these paths with a proxy's 403 (not Switchboard's JSON refusal).</summary>
    public void Block(params string[] paths)
    {
        foreach (var path in paths)
        {
            _blocked[path] = 0;
        }
    }

    public void Unblock(params string[] paths)
    {
        foreach (var path in paths)
        {
            _blocked.TryRemove(path, out _);
        }
    }

    /// <summary>Aborts every connection the server holds on <paramref name="path"/> (the client sees a reset, not a close); returns how many.</summary>
    public int Cut(string path)
    {
        var cut = 0;
        foreach (var (context, p) in _open)
        {
            if (p == path && TryAbort(context))
            {
                cut++;
            }
        }
        return cut;
    }

    /// <summary>Aborts a request's connection, unless the request has just ended.</summary>
    private static bool TryAbort(HttpContext context)
    {
        try
        {
            context.Abort();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Returns once a request is open on <paramref name="path"/> (e.g. a held poll to cut).</summary>
    public async Task WhenOpenAsync(string path)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Default);
        while (true)
        {
            var opened = Volatile.Read(ref _opened).Task;
            if (Open(path) > 0)
            {
                return;
            }
            await opened.WaitAsync(timeout.Token);
        }
    }

    /// <summary>How many requests are open on a path now.</summary>
    public int Open(string path) => _open.Values.Count(p => p == path);

    /// <summary>Stops the server and starts a new one on the same port: channels keep their names, histories and epochs are new.</summary>
    public async Task RestartAsync()
    {
        var port = Uri.Port;
        await StopAppAsync();
        await StartAppAsync(port);
    }

    /// <summary>Publishes over the HTTP API; returns the publication's offset and epoch.</summary>
    public async Task<(long Offset, string Epoch)> PublishAsync(string channel, object? data, string? eventName = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Uri, "/api/publish"))
        {
            Content = JsonContent.Create(new { channel, @event = eventName ?? "message", data }),
        };
        request.Headers.Add("X-Api-Key", ApiKey);
        using var response = await _http.SendAsync(request).Within();
        var body = await response.Content.ReadAsStringAsync().Within();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var result = JsonDocument.Parse(body).RootElement.GetProperty("results").GetProperty(channel);
        return (result.GetProperty("offset").GetInt64(), result.GetProperty("epoch").GetString()!);
    }

    /// <summary>An HS256 JWT with these grants, expiring at <paramref name="expires"/>.</summary>
    public static string Token(DateTimeOffset expires, string subscribe = "*", string publish = "*", string subject = "user-1")
    {
        static string B64(object value) => System.Buffers.Text.Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));
        var content = B64(new { alg = "HS256", typ = "JWT" }) + "." + B64(new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["sub_channels"] = subscribe,
            ["pub_channels"] = publish,
            ["exp"] = expires.ToUnixTimeSeconds(),
        });
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(content));
        return content + "." + System.Buffers.Text.Base64Url.EncodeToString(signature);
    }

    private async Task StartAppAsync(int port)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.Configure<SocketServerOptions>(o => o.Drain.Window = TimeSpan.Zero);
        builder.Services.AddSwitchboard(o => o.Channels.History.Add(new ChannelHistoryRule { Pattern = "small-*", Size = SmallHistory }));
        if (_authClock is not null)
        {
            builder.Services.AddSingleton<IChannelAuthorizer>(new JwtChannelAuthorizer(new JwtAuthorizerOptions { Secret = Secret, ClockSkew = TimeSpan.Zero }, _authClock));
        }
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
            if (_blocked.ContainsKey(path))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("blocked by the test proxy");
                return;
            }
            _open[context] = path;
            Interlocked.Exchange(ref _opened, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            try
            {
                await next();
            }
            finally
            {
                _open.TryRemove(context, out _);
                if (context.Response.StatusCode == StatusCodes.Status401Unauthorized)
                {
                    Interlocked.Increment(ref _unauthorized);
                }
            }
        });
        app.MapChannelWebSocket("/ws");
        app.MapServerSentEvents("/sse");
        app.MapLongPoll("/poll");
        app.MapChannelApi("/api", o => o.ApiKeys = [ApiKey]);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Uri = new Uri(address + "/");
        _app = app;
    }

    private async Task StopAppAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            // Held polls and streams would hold up the stop: cut them as a crash would.
            foreach (var context in _open.Keys)
            {
                TryAbort(context);
            }
            await app.StopAsync().WaitAsync(TimeSpan.FromSeconds(15));
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        _http.Dispose();
    }
}
