using System.Net;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>SSE over HTTP/2 (h2c with prior knowledge): streaming, a server drop, and resuming by cursor.</summary>
public sealed class ServerSentEventsHttp2Tests(Http2ChannelsFixture fixture) : IClassFixture<Http2ChannelsFixture>, IAsyncLifetime
{
    private readonly List<SseTestClient> _clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        fixture.Host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task An_http2_stream_delivers_publications_and_resumes_after_a_server_drop()
    {
        var channel = ChannelsFixture.NewChannel();
        var first = await fixture.ConnectSseAsync(ChannelsFixture.Query(channel));
        _clients.Add(first);
        Assert.Equal(HttpVersion.Version20, first.Response.Version);
        Assert.Equal("text/event-stream", first.Response.Content.Headers.ContentType?.MediaType);

        await fixture.Api.PublishAsync(channel, "1");
        Assert.Equal(1, (await first.NextPublicationAsync()).GetProperty("data").GetInt32());
        Assert.True(fixture.Hub.Disconnect(first.ConnectionId));
        Assert.Equal("close", Assert.Single(await first.ReadToEndAsync()).Event);
        await fixture.Api.PublishAsync(channel, "2");

        var second = await fixture.ConnectSseAsync(ChannelsFixture.Query(channel), lastEventId: first.LastEventId);
        _clients.Add(second);
        await fixture.Api.PublishAsync(channel, "3");

        Assert.Equal(HttpVersion.Version20, second.Response.Version);
        Assert.Equal(2, (await second.NextPublicationAsync()).GetProperty("data").GetInt32());
        Assert.Equal(3, (await second.NextPublicationAsync()).GetProperty("data").GetInt32());
    }
}
