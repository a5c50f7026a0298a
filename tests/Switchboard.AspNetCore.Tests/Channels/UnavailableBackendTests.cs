using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.SocketChannels;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Tests.SocketChannels;
using Switchboard.Channels;
using Switchboard.Cluster;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// A server in a cluster whose backend cannot be reached (Redis down): every publication fails with
/// <see cref="ClusterUnavailableException"/>, as the Redis bus throws it. The HTTP API and the Socket.IO
/// channel events are served as in the standalone server.
/// </summary>
public sealed class UnavailableBackendFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public LogWatcher Logs { get; } = new();

    public ChannelApiClient Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(
            builder =>
            {
                builder.Logging.AddProvider(Logs);
                builder.Logging.AddFilter<LogWatcher>(LogWatcher.Category, LogLevel.Debug);
                builder.Services.AddSingleton<IChannelAuthorizer, TestChannelAuthorizer>();
                builder.Services.AddSwitchboard().AddCluster(new UnreachableCluster());
            },
            app =>
            {
                app.MapSocketIO("/socket.io", io => io.UseChannelEvents(app.Services));
                app.MapChannelApi("/api", o => o.ApiKeys = [ChannelsFixture.ApiKey]);
            });
        Api = new ChannelApiClient(Host.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        await Host.DisposeAsync();
    }

    /// <summary>A cluster bus whose backend is gone: publishing fails as the Redis bus fails; the rest is local.</summary>
    private sealed class UnreachableCluster : IClusterBus
    {
        public string NodeId => "unreachable";

        public IClusterSessionStore? Sessions => null;

        public IChannelStore History { get; } = new InMemoryChannelStore();

        public void Attach(IClusterSink sink)
        {
        }

        public ValueTask<ClusterPublished> PublishAsync(ClusterPublication publication, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<ClusterPublished>(new ClusterUnavailableException("Redis did not take the publication: No connection is active/available to service this operation"));

        public ValueTask BroadcastAsync(ClusterBroadcast broadcast, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask<int> RequestAsync(ClusterRequest request, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

        public ValueTask ReplyAsync(ClusterReply reply, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask AddInterestAsync(string nsp, string channel, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public void RemoveInterest(string nsp, string channel)
        {
        }

        public ValueTask<string> GetSequenceEpochAsync(string nsp, CancellationToken cancellationToken = default) => ValueTask.FromResult("epoch");

        public ValueTask<IReadOnlyList<string>> GetLiveNodesAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult<IReadOnlyList<string>>([NodeId]);
    }
}

/// <summary>A publication the backend cannot make durable fails loudly and retryably: HTTP 503, a Socket.IO error ack; a warning, not an error.</summary>
public sealed class UnavailableBackendTests(UnavailableBackendFixture fixture) : IClassFixture<UnavailableBackendFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task An_http_api_publish_answers_503_unavailable_with_retry_after_and_logs_a_warning()
    {
        var from = fixture.Logs.Mark();

        using var response = await fixture.Api.PostJsonAsync("/api/publish", """{"channel":"prices","data":1}""");
        var retryAfter = response.Headers.RetryAfter?.Delta;
        var message = await ChannelApiClient.ExpectErrorAsync(response, HttpStatusCode.ServiceUnavailable, "unavailable");

        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        Assert.Contains("nothing was published", message, StringComparison.Ordinal);
        var logged = await fixture.Logs.WhenLogged(e => e.EventId.Id == 323, from);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Equal("prices", logged["Channels"]);
    }

    [Fact]
    public async Task A_failed_publish_with_an_idempotency_key_is_not_remembered_so_a_retry_publishes_again()
    {
        const string body = """{"channel":"orders","data":1,"idempotencyKey":"order-7"}""";

        await ChannelApiClient.ExpectErrorAsync(await fixture.Api.PostJsonAsync("/api/publish", body), HttpStatusCode.ServiceUnavailable, "unavailable");
        using var retry = await fixture.Api.PostJsonAsync("/api/publish", body);

        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
        await ChannelApiClient.ExpectErrorAsync(retry, HttpStatusCode.ServiceUnavailable, "unavailable");
    }

    [Fact]
    public async Task A_socket_io_publish_is_acknowledged_with_the_error_unavailable()
    {
        await using var client = await ChannelSocket.ConnectAsync(fixture.Host, TestChannelAuthorizer.Good);

        var ack = await client.EmitWithAckAsync(SocketChannelEvents.Publish, new { channel = "prices", @event = "tick", data = 1 });

        Assert.False(ack.GetProperty("ok").GetBoolean(), $"accepted: {ack}");
        Assert.Equal(SocketChannelError.Unavailable, ack.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(ack.GetProperty("error").GetProperty("message").GetString()));
    }
}
