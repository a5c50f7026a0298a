using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Client.Channels;
using Switchboard.Client.Tests.Infrastructure;
using static Switchboard.Client.Tests.Channels.ChannelTestKit;

namespace Switchboard.Client.Tests.Channels;

/// <summary>JWTs (docs/auth.md) that expire: refreshed before a connect, after a 401, and mid-stream on long-poll.</summary>
[Collection(ChannelClientCollection.Name)]
public sealed class ChannelTokenTests
{
    [Fact]
    public async Task An_expired_JWT_is_refreshed_before_connecting_so_the_server_never_refuses_it()
    {
        await using var server = await ChannelServer.StartAsync(TimeProvider.System);
        var logs = new LogRecorder();
        var asked = Channel.CreateUnbounded<ChannelTokenRefreshContext>();
        await using var client = new ChannelClient(server.Uri, Options(null, logs) with
        {
            Token = ChannelServer.Token(DateTimeOffset.UtcNow.AddMinutes(-1)),
            RefreshToken = (context, _) =>
            {
                asked.Writer.TryWrite(context);
                return ValueTask.FromResult<string?>(ChannelServer.Token(DateTimeOffset.UtcNow.AddMinutes(10)));
            },
        });
        var subscription = client.Subscribe(ChannelServer.NewChannel());
        await subscription.Subscribed.Within();

        Assert.Equal("token_expired", (await asked.Reader.ReadAsync().AsTask().Within()).Code);
        Assert.False(asked.Reader.TryRead(out _));
        Assert.Equal(ChannelTransport.WebSocket, client.Transport);
        Assert.Equal(0, server.Unauthorized);
        Assert.NotNull(ChannelClient.JwtExpiry(client.Token));
        logs.AssertNoErrors();
    }

    [Theory]
    [InlineData(ChannelTransport.WebSocket, "unauthorized")]
    [InlineData(ChannelTransport.ServerSentEvents, "token_expired")]
    [InlineData(ChannelTransport.LongPoll, "token_expired")]
    public async Task A_token_the_server_refuses_is_refreshed_once_and_the_connect_retried(ChannelTransport transport, string code)
    {
        await using var server = await ChannelServer.StartAsync(TimeProvider.System);
        var logs = new LogRecorder();
        // The client's clock is an hour behind, so it believes the token valid: only the server's 401 tells.
        var clientClock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1));
        var asked = Channel.CreateUnbounded<ChannelTokenRefreshContext>();
        await using var client = new ChannelClient(server.Uri, Options(transport, logs) with
        {
            TimeProvider = clientClock,
            Token = ChannelServer.Token(DateTimeOffset.UtcNow.AddMinutes(-1)),
            RefreshToken = (context, _) =>
            {
                asked.Writer.TryWrite(context);
                return ValueTask.FromResult<string?>(ChannelServer.Token(DateTimeOffset.UtcNow.AddMinutes(10)));
            },
        });
        var channel = ChannelServer.NewChannel();
        var subscription = client.Subscribe(channel);
        await using var items = subscription.GetAsyncEnumerator();
        await subscription.Subscribed.Within();

        Assert.Equal(code, (await asked.Reader.ReadAsync().AsTask().Within()).Code);
        Assert.False(asked.Reader.TryRead(out _));
        Assert.Equal(1, server.Unauthorized);
        Assert.Equal(transport, client.Transport);
        var (_, epoch) = await server.PublishAsync(channel, 1);
        AssertOffsets(await items.TakeAsync(1), epoch, 1);
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task Without_a_new_token_a_refused_one_closes_the_client_with_the_refusal()
    {
        await using var server = await ChannelServer.StartAsync(TimeProvider.System);
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(ChannelTransport.ServerSentEvents, logs) with
        {
            Token = "not-a-jwt",
            RefreshToken = (_, _) => ValueTask.FromResult<string?>(null),
        });
        var subscription = client.Subscribe(ChannelServer.NewChannel());
        var error = await Assert.ThrowsAsync<ChannelClientException>(async () =>
        {
            await foreach (var _ in subscription.WithCancellation(CancellationToken.None))
            {
            }
        }).Within();
        Assert.Equal(("token_invalid", 401), (error.Code, error.StatusCode));
        Assert.Equal(ChannelClientState.Closed, client.State);
        Assert.Same(error, client.CloseError);
        Assert.Contains(logs.Messages(104), m => m.Contains("token_invalid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_long_poll_whose_token_expires_mid_stream_refreshes_it_and_loses_nothing()
    {
        var serverClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ChannelServer.StartAsync(serverClock);
        var logs = new LogRecorder();
        var asked = Channel.CreateUnbounded<ChannelTokenRefreshContext>();
        var drops = 0;
        await using var client = new ChannelClient(server.Uri, Options(ChannelTransport.LongPoll, logs) with
        {
            // Valid for the client's (real) clock throughout: the refresh comes from the server's 401 alone.
            Token = ChannelServer.Token(DateTimeOffset.UtcNow.AddMinutes(5)),
            RefreshToken = (context, _) =>
            {
                asked.Writer.TryWrite(context);
                return ValueTask.FromResult<string?>(ChannelServer.Token(serverClock.GetUtcNow().AddMinutes(10)));
            },
        });
        client.Disconnected += _ => Interlocked.Increment(ref drops);
        var channel = ChannelServer.NewChannel();
        var subscription = client.Subscribe(channel);
        await using var items = subscription.GetAsyncEnumerator();
        await subscription.Subscribed.Within();
        var (_, epoch) = await server.PublishAsync(channel, 1);
        AssertOffsets(await items.TakeAsync(1), epoch, 1);

        // The token expires (for the server) while a poll is held; publications keep coming.
        await server.WhenOpenAsync("/poll");
        serverClock.Advance(TimeSpan.FromMinutes(6));
        await server.PublishAsync(channel, 2);
        await server.PublishAsync(channel, 3);
        var rest = await items.TakeAsync(2);
        await server.PublishAsync(channel, 4);
        rest.AddRange(await items.TakeAsync(1));

        AssertOffsets(rest, epoch, 2, 3, 4);
        Assert.Equal("token_expired", (await asked.Reader.ReadAsync().AsTask().Within()).Code);
        Assert.Equal(1, server.Unauthorized);
        Assert.Equal(0, Volatile.Read(ref drops));
        Assert.Equal(ChannelTransport.LongPoll, client.Transport);
        logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_forbidden_WebSocket_subscription_ends_that_subscription_only()
    {
        await using var server = await ChannelServer.StartAsync(TimeProvider.System);
        var logs = new LogRecorder();
        await using var client = new ChannelClient(server.Uri, Options(ChannelTransport.WebSocket, logs) with
        {
            Token = ChannelServer.Token(DateTimeOffset.UtcNow.AddMinutes(10), subscribe: "news.*"),
        });
        var secret = client.Subscribe("secret");
        var news = client.Subscribe("news.a");
        await using var newsItems = news.GetAsyncEnumerator();

        var error = await Assert.ThrowsAsync<ChannelClientException>(() => secret.Subscribed.Within());
        Assert.Equal(("forbidden", "secret"), (error.Code, error.Channel));
        await using (var refused = secret.GetAsyncEnumerator())
        {
            Assert.Same(error, await Assert.ThrowsAsync<ChannelClientException>(() => refused.MoveNextAsync().AsTask().Within()));
        }
        var (_, epoch) = await server.PublishAsync("news.a", 1);
        AssertOffsets(await newsItems.TakeAsync(1), epoch, 1);
        Assert.Equal(ChannelClientState.Connected, client.State);
        Assert.Null(client.GetPosition("secret"));
        logs.AssertNoErrors();
    }
}
