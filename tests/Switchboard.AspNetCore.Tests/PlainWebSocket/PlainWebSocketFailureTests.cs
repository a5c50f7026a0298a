using Microsoft.Extensions.DependencyInjection;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>A host whose channel store fails for channels named <c>broken.*</c>.</summary>
public sealed class PlainFailingStoreFixture : PlainWebSocketFixture
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IChannelStore>(new FailingStore());

    private sealed class FailingStore : IChannelStore
    {
        private readonly InMemoryChannelStore _inner = new();

        private static void ThrowIfBroken(string channel)
        {
            if (channel.StartsWith("broken.", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("the store is down");
            }
        }

        public ValueTask<StreamPosition> AppendAsync(string nsp, string channel, Publication publication, HistoryPolicy policy, CancellationToken cancellationToken = default)
        {
            ThrowIfBroken(channel);
            return _inner.AppendAsync(nsp, channel, publication, policy, cancellationToken);
        }

        public ValueTask<HistoryRead> ReadAsync(string nsp, string channel, StreamPosition? since, int limit, CancellationToken cancellationToken = default)
        {
            ThrowIfBroken(channel);
            return _inner.ReadAsync(nsp, channel, since, limit, cancellationToken);
        }

        public ValueTask<HistoryRead> ReadAfterSeqAsync(string nsp, string channel, long seq, CancellationToken cancellationToken = default) =>
            _inner.ReadAfterSeqAsync(nsp, channel, seq, cancellationToken);

        public ValueTask<StreamPosition> GetPositionAsync(string nsp, string channel, CancellationToken cancellationToken = default)
        {
            ThrowIfBroken(channel);
            return _inner.GetPositionAsync(nsp, channel, cancellationToken);
        }
    }
}

/// <summary>A server-side failure answers the request with <c>internal</c>, is logged as an error, and leaves the connection working.</summary>
public sealed class PlainWebSocketFailureTests(PlainFailingStoreFixture fixture) : PlainTestBase(fixture), IClassFixture<PlainFailingStoreFixture>
{
    [Fact]
    public async Task A_failing_store_answers_internal_logs_an_error_and_keeps_the_connection()
    {
        var client = await ConnectAsync();
        var channel = PlainWebSocketFixture.NewChannel();

        await client.ErrorAsync("publish", new { channel = "broken.a", data = 1 }, "internal");
        await client.ErrorAsync("subscribe", new { channel = "broken.b" }, "internal");
        await client.ErrorAsync("history", new { channel = "broken.c" }, "internal");
        await client.OkAsync("subscribe", new { channel });
        await client.OkAsync("publish", new { channel, data = 2 });

        Assert.Equal(2, Data(await client.NextPushAsync("pub")).GetInt32());
        Assert.Equal(0, (await client.OkAsync("presence", new { channel = "broken.b" })).GetProperty("count").GetInt32());
        // The failures were logged at Error level (which every other test treats as a failure).
        var logged = Record.Exception(Fixture.Host.Logs.AssertNoErrors);
        Assert.NotNull(logged);
        Assert.Contains("publish on 'broken.a' failed", logged.Message);
        Assert.Contains("subscribe on 'broken.b' failed", logged.Message);
    }
}
