using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>The HTTP API for backends: publish, idempotency, exclude, history, presence, disconnect, keys.</summary>
public sealed class ChannelApiTests(ChannelsFixture fixture) : IClassFixture<ChannelsFixture>, IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _clients = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        fixture.Host.Logs.AssertNoErrors();
    }

    private ChannelApiClient Api => fixture.Api;

    private async Task<SseTestClient> SubscribeAsync(params string[] channels)
    {
        var client = await fixture.ConnectSseAsync(ChannelsFixture.Query(channels));
        _clients.Add(client);
        return client;
    }

    private Task<JsonElement> HistoryAsync(string query) =>
        ReadOkAsync(Api.SendAsync(HttpMethod.Get, "/api/history?" + query));

    private static async Task<JsonElement> ReadOkAsync(Task<HttpResponseMessage> response) => await ChannelApiClient.ExpectJsonAsync(await response, HttpStatusCode.OK);

    private static int[] Numbers(JsonElement history) => [.. history.GetProperty("publications").EnumerateArray().Select(p => p.GetProperty("data").GetInt32())];

    [Fact]
    public async Task Publish_to_several_channels_returns_the_sequence_number_and_each_channels_offset_and_epoch()
    {
        string a = ChannelsFixture.NewChannel(), b = ChannelsFixture.NewChannel();
        await Api.PublishAsync(b, "0");
        var sse = await SubscribeAsync(a, b);

        var answer = await ReadOkAsync(Api.PostJsonAsync("/api/publish", $"{{\"channels\":[\"{a}\",\"{b}\"],\"event\":\"news\",\"data\":{{\"n\":1}}}}"));

        Assert.True(answer.GetProperty("seq").GetInt64() > 0);
        var results = answer.GetProperty("results");
        Assert.Equal(1, results.GetProperty(a).GetProperty("offset").GetInt64());
        Assert.Equal(2, results.GetProperty(b).GetProperty("offset").GetInt64());
        Assert.NotEqual(results.GetProperty(a).GetProperty("epoch").GetString(), results.GetProperty(b).GetProperty("epoch").GetString());
        var first = await sse.NextEventAsync();
        var second = await sse.NextEventAsync();
        Assert.Equal(("news", a, "{\"n\":1}"), (first.Event, first.Json.GetProperty("channel").GetString(), first.Json.GetProperty("data").GetRawText()));
        Assert.Equal(("news", b, "{\"n\":1}"), (second.Event, second.Json.GetProperty("channel").GetString(), second.Json.GetProperty("data").GetRawText()));
    }

    [Fact]
    public async Task Published_data_is_written_as_given_and_the_event_defaults_to_message()
    {
        var channel = ChannelsFixture.NewChannel();
        var sse = await SubscribeAsync(channel);
        const string Data = "{\"s\":\"é <b> \\\"q\\\" \\u2028\",\"n\":[1.5,null,true],\"big\":12345678901234567890}";

        await Api.PublishAsync(channel, Data);

        var frame = await sse.NextEventAsync();
        Assert.Equal("message", frame.Event);
        Assert.Equal("message", frame.Json.GetProperty("event").GetString());
        Assert.Equal(JsonDocument.Parse(Data).RootElement.GetProperty("s").GetString(), frame.Json.GetProperty("data").GetProperty("s").GetString());
        Assert.Equal("12345678901234567890", frame.Json.GetProperty("data").GetProperty("big").GetRawText());
        Assert.Equal("[1.5,null,true]", frame.Json.GetProperty("data").GetProperty("n").GetRawText());
    }

    [Fact]
    public async Task The_key_may_come_as_a_bearer_token()
    {
        var channel = ChannelsFixture.NewChannel();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/publish")
        {
            Content = new StringContent($"{{\"channel\":\"{channel}\",\"data\":1}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ChannelsFixture.ApiKey);
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };

        var answer = await ChannelApiClient.ExpectJsonAsync(await http.SendAsync(request).Within(), HttpStatusCode.OK);

        Assert.Equal(1, answer.GetProperty("results").GetProperty(channel).GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_gets_the_first_answer_and_publishes_nothing()
    {
        var channel = ChannelsFixture.NewChannel();
        var key = Guid.NewGuid().ToString();

        var first = await Api.PublishAsync(channel, "1", idempotencyKey: key);
        using var retry = await Api.PostJsonAsync("/api/publish", $"{{\"channel\":\"{channel}\",\"data\":1,\"idempotencyKey\":\"{key}\"}}");
        var retried = await ChannelApiClient.ExpectJsonAsync(retry, HttpStatusCode.OK);
        var other = await Api.PublishAsync(channel, "2", idempotencyKey: key + "-other");

        Assert.Equal(first.GetRawText(), retried.GetRawText());
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(2, other.GetProperty("results").GetProperty(channel).GetProperty("offset").GetInt64());
        Assert.Equal(new[] { 1, 2 }, Numbers(await HistoryAsync($"channel={channel}")));
    }

    [Fact]
    public async Task Concurrent_publishes_with_one_idempotency_key_publish_once_and_all_get_the_same_answer()
    {
        var channel = ChannelsFixture.NewChannel();
        var key = Guid.NewGuid().ToString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Api.PublishAsync(channel, "1", idempotencyKey: key))));

        Assert.Single(answers.Select(a => a.GetRawText()).Distinct());
        Assert.Equal(new[] { 1 }, Numbers(await HistoryAsync($"channel={channel}")));
    }

    [Fact]
    public async Task Exclude_skips_that_connection_only()
    {
        var channel = ChannelsFixture.NewChannel();
        var excluded = await SubscribeAsync(channel);
        var other = await SubscribeAsync(channel);

        await Api.PublishAsync(channel, "\"not for you\"", exclude: excluded.ConnectionId);
        await Api.PublishAsync(channel, "\"marker\"");

        Assert.Equal("not for you", (await other.NextPublicationAsync()).GetProperty("data").GetString());
        Assert.Equal("marker", (await other.NextPublicationAsync()).GetProperty("data").GetString());
        // Each stream delivers in order: the marker being next proves the excluded one never came.
        Assert.Equal("marker", (await excluded.NextPublicationAsync()).GetProperty("data").GetString());
    }

    [Fact]
    public async Task Exclude_works_for_a_socket_io_socket_in_the_channels_room()
    {
        var channel = ChannelsFixture.NewChannel();
        var (socket, socketId) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        _clients.Add(socket);
        SocketIOFixture.ServerSocket(fixture.Io.Main, socketId).Join(channel);

        await Api.PublishAsync(channel, "\"not for you\"", exclude: socketId);
        await Api.PublishAsync(channel, "\"marker\"");

        Assert.Equal("42[\"message\",\"marker\"]", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task History_returns_the_latest_publications_and_the_top_or_those_after_a_position()
    {
        var channel = ChannelsFixture.NewChannel();
        for (var i = 1; i <= 5; i++)
        {
            await Api.PublishAsync(channel, i.ToString(System.Globalization.CultureInfo.InvariantCulture), eventName: "n");
        }

        var latest = await HistoryAsync($"channel={channel}&limit=2");
        var epoch = latest.GetProperty("top").GetProperty("epoch").GetString();
        var after = await HistoryAsync($"channel={channel}&since=1&epoch={epoch}&limit=3");
        var all = await HistoryAsync($"channel={channel}");

        Assert.Equal(channel, latest.GetProperty("channel").GetString());
        Assert.Equal([4, 5], Numbers(latest));
        Assert.Equal(5, latest.GetProperty("top").GetProperty("offset").GetInt64());
        Assert.True(latest.GetProperty("continuous").GetBoolean());
        var publication = latest.GetProperty("publications")[0];
        Assert.Equal((channel, 4L, epoch, "n"), (publication.GetProperty("channel").GetString(), publication.GetProperty("offset").GetInt64(),
            publication.GetProperty("epoch").GetString(), publication.GetProperty("event").GetString()));
        Assert.Equal([2, 3, 4], Numbers(after));
        Assert.True(after.GetProperty("continuous").GetBoolean());
        Assert.Equal([1, 2, 3, 4, 5], Numbers(all));
    }

    [Fact]
    public async Task History_from_a_position_that_is_gone_says_it_is_not_continuous()
    {
        var channel = ChannelsFixture.NewChannel("small");
        for (var i = 1; i <= ChannelsFixture.SmallHistory + 2; i++)
        {
            await Api.PublishAsync(channel, "0");
        }
        var epoch = (await HistoryAsync($"channel={channel}")).GetProperty("top").GetProperty("epoch").GetString();

        var trimmed = await HistoryAsync($"channel={channel}&since=0&epoch={epoch}");
        var foreign = await HistoryAsync($"channel={channel}&since=1&epoch=another");

        Assert.False(trimmed.GetProperty("continuous").GetBoolean());
        Assert.Empty(trimmed.GetProperty("publications").EnumerateArray());
        Assert.Equal(ChannelsFixture.SmallHistory + 2, trimmed.GetProperty("top").GetProperty("offset").GetInt64());
        Assert.False(foreign.GetProperty("continuous").GetBoolean());
        Assert.Equal(epoch, foreign.GetProperty("top").GetProperty("epoch").GetString());
    }

    [Fact]
    public async Task Presence_counts_sse_streams_and_socket_io_sockets_subscribed_to_a_channel()
    {
        var channel = ChannelsFixture.NewChannel();
        Assert.Equal(0, (await ReadOkAsync(Api.SendAsync(HttpMethod.Get, $"/api/presence?channel={channel}"))).GetProperty("connections").GetInt32());
        await SubscribeAsync(channel);
        await SubscribeAsync(channel, ChannelsFixture.NewChannel());
        var (socket, socketId) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        _clients.Add(socket);
        SocketIOFixture.ServerSocket(fixture.Io.Main, socketId).Join(channel);

        var presence = await ReadOkAsync(Api.SendAsync(HttpMethod.Get, $"/api/presence?channel={channel}"));

        Assert.Equal(channel, presence.GetProperty("channel").GetString());
        Assert.Equal(3, presence.GetProperty("connections").GetInt32());
    }

    [Fact]
    public async Task Disconnect_ends_the_connection_and_answers_200_then_404_once_it_is_gone()
    {
        var channel = ChannelsFixture.NewChannel();
        var sse = await SubscribeAsync(channel);
        var body = $"{{\"connectionId\":\"{sse.ConnectionId}\"}}";

        var answer = await ReadOkAsync(Api.PostJsonAsync("/api/disconnect", body));
        var events = await sse.ReadToEndAsync();
        var again = await Api.PostJsonAsync("/api/disconnect", body);

        Assert.Equal(sse.ConnectionId, answer.GetProperty("connectionId").GetString());
        Assert.True(answer.GetProperty("disconnected").GetBoolean());
        Assert.Equal("close", Assert.Single(events).Event);
        await ChannelApiClient.ExpectErrorAsync(again, HttpStatusCode.NotFound, "connection_not_found");
    }

    [Fact]
    public async Task Disconnect_also_ends_a_socket_io_socket_of_the_namespace()
    {
        var (socket, socketId) = await SocketIOTestClient.ConnectAsync(fixture.Host);
        _clients.Add(socket);

        await ReadOkAsync(Api.PostJsonAsync("/api/disconnect", $"{{\"connectionId\":\"{socketId}\"}}"));

        Assert.Equal("41", await socket.ReceiveTextAsync());
    }

    [Theory]
    [InlineData(null, "api_key_missing")]
    [InlineData("wrong-key", "api_key_invalid")]
    [InlineData("TEST-KEY", "api_key_invalid")]
    public async Task Without_a_valid_key_every_api_call_is_401_and_logged(string? key, string code)
    {
        var channel = ChannelsFixture.NewChannel();
        var mark = fixture.Logs.Mark();

        foreach (var (method, url) in new[] { (HttpMethod.Post, "/api/publish"), (HttpMethod.Get, $"/api/history?channel={channel}"), (HttpMethod.Get, $"/api/presence?channel={channel}"), (HttpMethod.Post, "/api/disconnect") })
        {
            var body = method == HttpMethod.Post ? new StringContent($"{{\"channel\":\"{channel}\",\"data\":1}}", Encoding.UTF8, "application/json") : null;
            using var response = await Api.SendAsync(method, url, body, key: key);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            await ChannelApiClient.ExpectErrorAsync(response, HttpStatusCode.Unauthorized, code);
        }

        await fixture.Logs.WhenRefused(401, code, mark);
        Assert.Empty(Numbers(await HistoryAsync($"channel={channel}")));
    }

    [Fact]
    public async Task A_scoped_key_may_use_its_channels_and_is_refused_403_elsewhere()
    {
        var allowed = ChannelsFixture.NewChannel("public");
        var refused = ChannelsFixture.NewChannel("private");
        var sse = await SubscribeAsync(refused);
        var mark = fixture.Logs.Mark();

        var ok = await Api.PostJsonAsync("/api/publish", $"{{\"channel\":\"{allowed}\",\"data\":1}}", key: ChannelsFixture.ScopedKey);
        var publish = await Api.PostJsonAsync("/api/publish", $"{{\"channels\":[\"{allowed}\",\"{refused}\"],\"data\":1}}", key: ChannelsFixture.ScopedKey);
        var history = await Api.SendAsync(HttpMethod.Get, $"/api/history?channel={refused}", key: ChannelsFixture.ScopedKey);
        var presence = await Api.SendAsync(HttpMethod.Get, $"/api/presence?channel={refused}", key: ChannelsFixture.ScopedKey);
        var disconnect = await Api.PostJsonAsync("/api/disconnect", $"{{\"connectionId\":\"{sse.ConnectionId}\"}}", key: ChannelsFixture.ScopedKey);

        await ChannelApiClient.ExpectJsonAsync(ok, HttpStatusCode.OK);
        await ChannelApiClient.ExpectErrorAsync(publish, HttpStatusCode.Forbidden, "forbidden");
        await ChannelApiClient.ExpectErrorAsync(history, HttpStatusCode.Forbidden, "forbidden");
        await ChannelApiClient.ExpectErrorAsync(presence, HttpStatusCode.Forbidden, "forbidden");
        await ChannelApiClient.ExpectErrorAsync(disconnect, HttpStatusCode.Forbidden, "forbidden");
        await fixture.Logs.WhenRefused(403, "forbidden", mark);
        // Nothing reached the refused channel, and its subscriber is still connected.
        Assert.Equal(new[] { 1 }, Numbers(await HistoryAsync($"channel={allowed}")));
        Assert.Empty(Numbers(await HistoryAsync($"channel={refused}")));
        await Api.PublishAsync(refused, "2");
        Assert.Equal(2, (await sse.NextPublicationAsync()).GetProperty("data").GetInt32());
    }
}
