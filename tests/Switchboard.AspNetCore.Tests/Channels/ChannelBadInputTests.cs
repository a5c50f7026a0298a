using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// Bad input on every channel endpoint: each case gets its status and JSON error code, is logged, changes
/// nothing, and a bystander stream open through it still works afterwards.
/// </summary>
public sealed class ChannelBadInputTests(ChannelsFixture fixture) : IClassFixture<ChannelsFixture>, IAsyncLifetime
{
    private static readonly string TooLong = new('x', 201);
    private SseTestClient _bystander = null!;
    private string _bystanderChannel = "";
    private int _mark;

    public async Task InitializeAsync()
    {
        _bystanderChannel = ChannelsFixture.NewChannel();
        _bystander = await fixture.ConnectSseAsync(ChannelsFixture.Query(_bystanderChannel));
        _mark = fixture.Logs.Mark();
    }

    /// <summary>The bystander was not disturbed: its next event is the publication that follows, not a close.</summary>
    public async Task DisposeAsync()
    {
        await fixture.Api.PublishAsync(_bystanderChannel, "\"still here\"");
        Assert.Equal("still here", (await _bystander.NextPublicationAsync()).GetProperty("data").GetString());
        await _bystander.DisposeAsync();
        fixture.Host.Logs.AssertNoErrors();
    }

    private async Task ExpectRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        await ChannelApiClient.ExpectErrorAsync(response, status, code);
        await fixture.Logs.WhenRefused((int)status, code, _mark);
    }

    private async Task AssertNothingPublishedAsync(string channel)
    {
        var history = await ChannelApiClient.ExpectJsonAsync(await fixture.Api.SendAsync(HttpMethod.Get, $"/api/history?channel={Uri.EscapeDataString(channel)}"), HttpStatusCode.OK);
        Assert.Empty(history.GetProperty("publications").EnumerateArray());
    }

    public static TheoryData<string, string, string> BadSubscriptions()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var path in new[] { "/sse", "/poll" })
        {
            data.Add(path, "", "channel_missing");
            data.Add(path, "channel=", "invalid_channel");
            data.Add(path, "channel=" + TooLong, "invalid_channel");
            data.Add(path, "channel=a%01b", "invalid_channel");
            data.Add(path, "channel=a%0Ab", "invalid_channel");
            data.Add(path, "channel=a%0Db", "invalid_channel");
            data.Add(path, "channel=a%00b", "invalid_channel");
            data.Add(path, "channel=a%7Fb", "invalid_channel");
            data.Add(path, string.Join('&', Enumerable.Range(0, 65).Select(i => $"channel=c{i}")), "too_many_channels");
            data.Add(path, "channel=same&channel=other&channel=same", "duplicate_channel");
        }
        data.Add("/poll", "channel=a&timeout=soon", "invalid_timeout");
        data.Add("/poll", "channel=a&timeout=-1", "invalid_timeout");
        data.Add("/poll", "channel=a&timeout=1.5", "invalid_timeout");
        return data;
    }

    [Theory]
    [MemberData(nameof(BadSubscriptions))]
    public async Task A_bad_subscription_request_is_400_with_its_code(string path, string query, string code)
    {
        using var response = await fixture.Api.SendAsync(HttpMethod.Get, $"{path}?{query}", key: null, token: TestChannelAuthorizer.Good);

        await ExpectRefusedAsync(response, HttpStatusCode.BadRequest, code);
    }

    public static TheoryData<string, string> BadPublishes() => new()
    {
        { "", "invalid_json" },
        { "not json", "invalid_json" },
        { "{\"channel\":\"{ch}\",", "invalid_json" },
        { "{\"channel\":\"{ch}\",\"data\":1}}", "invalid_json" },
        // One level past the one JSON depth limit of every protocol (the body object is the first level).
        { "{\"channel\":\"{ch}\",\"data\":" + new string('[', Switchboard.Protocols.JsonLimits.MaxDepth) + new string(']', Switchboard.Protocols.JsonLimits.MaxDepth) + "}", "invalid_json" },
        { "[\"{ch}\"]", "invalid_body" },
        { "\"{ch}\"", "invalid_body" },
        { "{\"data\":1}", "missing_field" },
        { "{\"channel\":\"{ch}\"}", "missing_field" },
        { "{\"channel\":\"{ch}\",\"channels\":[\"{ch}\"],\"data\":1}", "invalid_field" },
        { "{\"channel\":5,\"data\":1}", "invalid_field" },
        { "{\"channels\":\"{ch}\",\"data\":1}", "invalid_field" },
        { "{\"channels\":[\"{ch}\",7],\"data\":1}", "invalid_field" },
        { "{\"channels\":[],\"data\":1}", "channel_missing" },
        { "{\"channels\":[\"{ch}\",\"b\",\"c\"],\"data\":1}", "too_many_channels" },
        { "{\"channels\":[\"{ch}\",\"{ch}\"],\"data\":1}", "duplicate_channel" },
        { "{\"channel\":\"\",\"data\":1}", "invalid_channel" },
        { "{\"channel\":\"{ch}\\u0000\",\"data\":1}", "invalid_channel" },
        { "{\"channel\":\"{ch}\\r\\n\",\"data\":1}", "invalid_channel" },
        { "{\"channels\":[\"{ch}\\n\"],\"data\":1}", "invalid_channel" },
        { "{\"channel\":\"" + TooLong + "\",\"data\":1}", "invalid_channel" },
        { "{\"channel\":\"{ch}\",\"data\":1,\"event\":\"\"}", "invalid_field" },
        { "{\"channel\":\"{ch}\",\"data\":1,\"event\":7}", "invalid_field" },
        { "{\"channel\":\"{ch}\",\"data\":1,\"event\":\"a\\nb\"}", "invalid_field" },
        { "{\"channel\":\"{ch}\",\"data\":1,\"idempotencyKey\":\"" + TooLong + "\"}", "invalid_field" },
        { "{\"channel\":\"{ch}\",\"data\":1,\"exclude\":5}", "invalid_field" },
    };

    [Theory]
    [MemberData(nameof(BadPublishes))]
    public async Task A_bad_publish_is_400_with_its_code_and_publishes_nothing(string body, string code)
    {
        var channel = ChannelsFixture.NewChannel();

        using var response = await fixture.Api.PostJsonAsync("/api/publish", body.Replace("{ch}", channel, StringComparison.Ordinal));

        await ExpectRefusedAsync(response, HttpStatusCode.BadRequest, code);
        await AssertNothingPublishedAsync(channel);
    }

    [Fact]
    public async Task A_publish_body_over_the_limit_is_413_with_a_declared_length()
    {
        var channel = ChannelsFixture.NewChannel();
        var body = $"{{\"channel\":\"{channel}\",\"data\":\"{new string('x', ChannelsFixture.MaxBodySize)}\"}}";

        using var response = await fixture.Api.PostJsonAsync("/api/publish", body);

        await ExpectRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        await AssertNothingPublishedAsync(channel);
    }

    [Fact]
    public async Task A_publish_body_over_the_limit_is_413_when_streamed_without_a_length()
    {
        var channel = ChannelsFixture.NewChannel();
        var body = Encoding.UTF8.GetBytes($"{{\"channel\":\"{channel}\",\"data\":\"{new string('x', ChannelsFixture.MaxBodySize)}\"}}");
        var content = new StreamContent(new MemoryStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/publish") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("X-Api-Key", ChannelsFixture.ApiKey);
        using var http = new HttpClient { BaseAddress = fixture.Host.BaseAddress };

        using var response = await http.SendAsync(request).Within();

        Assert.Null(request.Content.Headers.ContentLength);
        await ExpectRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        await AssertNothingPublishedAsync(channel);
    }

    [Fact]
    public async Task A_publish_body_at_the_limit_is_accepted()
    {
        var channel = ChannelsFixture.NewChannel();
        var prefix = $"{{\"channel\":\"{channel}\",\"data\":\"";
        var body = prefix + new string('x', ChannelsFixture.MaxBodySize - prefix.Length - 2) + "\"}";
        Assert.Equal(ChannelsFixture.MaxBodySize, Encoding.UTF8.GetByteCount(body));

        using var response = await fixture.Api.PostJsonAsync("/api/publish", body);

        await ChannelApiClient.ExpectJsonAsync(response, HttpStatusCode.OK);
    }

    public static TheoryData<string, string> BadQueries() => new()
    {
        { "/api/history", "channel_missing" },
        { "/api/history?channel=a&channel=b", "invalid_channel" },
        { "/api/history?channel=a%00", "invalid_channel" },
        { "/api/history?channel=a&since=1", "invalid_position" },
        { "/api/history?channel=a&epoch=e", "invalid_position" },
        { "/api/history?channel=a&since=-1&epoch=e", "invalid_position" },
        { "/api/history?channel=a&since=x&epoch=e", "invalid_position" },
        { "/api/history?channel=a&limit=0", "invalid_limit" },
        { "/api/history?channel=a&limit=many", "invalid_limit" },
        { "/api/presence", "channel_missing" },
        { "/api/presence?channel=", "invalid_channel" },
        { "/api/presence?channel=" + TooLong, "invalid_channel" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task A_bad_history_or_presence_query_is_400_with_its_code(string url, string code)
    {
        using var response = await fixture.Api.SendAsync(HttpMethod.Get, url);

        await ExpectRefusedAsync(response, HttpStatusCode.BadRequest, code);
    }

    [Theory]
    [InlineData("", "invalid_json")]
    [InlineData("{", "invalid_json")]
    [InlineData("\"id\"", "invalid_body")]
    [InlineData("{}", "missing_field")]
    [InlineData("{\"connectionId\":5}", "invalid_field")]
    [InlineData("{\"connectionId\":\"\"}", "invalid_field")]
    public async Task A_bad_disconnect_is_400_with_its_code(string body, string code)
    {
        using var response = await fixture.Api.PostJsonAsync("/api/disconnect", body);

        await ExpectRefusedAsync(response, HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task A_disconnect_body_over_the_limit_is_413()
    {
        using var response = await fixture.Api.PostJsonAsync("/api/disconnect", $"{{\"connectionId\":\"{_bystander.ConnectionId}\",\"pad\":\"{new string('x', ChannelsFixture.MaxBodySize)}\"}}");

        await ExpectRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task A_publish_with_a_wrong_method_is_405()
    {
        using var response = await fixture.Api.SendAsync(HttpMethod.Get, "/api/publish");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}
