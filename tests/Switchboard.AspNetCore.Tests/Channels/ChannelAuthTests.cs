using System.Net;
using Switchboard.Protocols.Channels;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// SSE and long-poll ask the registered <see cref="Switchboard.Channels.IChannelAuthorizer"/> (here
/// <see cref="TestChannelAuthorizer"/>) through ChannelRequestAuth: a grant that covers every channel is
/// allowed, one that does not is 403, a missing, expired or forged token is 401.
/// </summary>
public sealed class ChannelAuthTests(ChannelsFixture fixture) : IClassFixture<ChannelsFixture>, IAsyncLifetime
{
    private SseTestClient _bystander = null!;
    private string _bystanderChannel = "";

    public static TheoryData<string> Endpoints => ["/sse", "/poll"];

    /// <summary>A subscriber that must not notice any of the refusals.</summary>
    public async Task InitializeAsync()
    {
        _bystanderChannel = ChannelsFixture.NewChannel();
        _bystander = await fixture.ConnectSseAsync(ChannelsFixture.Query(_bystanderChannel));
    }

    public async Task DisposeAsync()
    {
        await fixture.Api.PublishAsync(_bystanderChannel, "\"still here\"");
        Assert.Equal("still here", (await _bystander.NextPublicationAsync()).GetProperty("data").GetString());
        await _bystander.DisposeAsync();
        fixture.Host.Logs.AssertNoErrors();
    }

    private Task<HttpResponseMessage> RequestAsync(string path, string query, string? token) =>
        fixture.Api.SendAsync(HttpMethod.Get, $"{path}?{query}{(path == "/poll" ? "&timeout=0" : "")}", key: null, token: token);

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_grant_covering_every_channel_is_allowed(string path)
    {
        string a = ChannelsFixture.NewChannel("public"), b = ChannelsFixture.NewChannel("public");

        if (path == "/sse")
        {
            await using var stream = await SseTestClient.ConnectAsync(fixture.Host.BaseAddress, $"/sse?{ChannelsFixture.Query(a, b)}", TestChannelAuthorizer.PublicOnly);
            Assert.Equal(2, stream.Subscribed.GetProperty("channels").GetArrayLength());
            Assert.Equal(1, fixture.Hub.PresenceCount(b));
        }
        else
        {
            var answer = await fixture.Api.PollAsync($"{ChannelsFixture.Query(a, b)}&timeout=0", token: TestChannelAuthorizer.PublicOnly);
            Assert.True(ChannelCursor.TryParse(answer.GetProperty("cursor").GetString(), 2, out _));
            Assert.Empty(answer.GetProperty("publications").EnumerateArray());
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_grant_missing_one_channel_is_refused_403_and_subscribes_nothing(string path)
    {
        string allowed = ChannelsFixture.NewChannel("public"), refused = ChannelsFixture.NewChannel("private");
        var mark = fixture.Logs.Mark();

        var response = await RequestAsync(path, ChannelsFixture.Query(allowed, refused), TestChannelAuthorizer.PublicOnly);

        var message = await ChannelApiClient.ExpectErrorAsync(response, HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains(refused, message, StringComparison.Ordinal);
        await fixture.Logs.WhenRefused(403, "forbidden", mark);
        Assert.Equal(0, fixture.Hub.PresenceCount(allowed));
    }

    [Theory]
    [InlineData("/sse", null, "token_missing")]
    [InlineData("/sse", TestChannelAuthorizer.Expired, "token_expired")]
    [InlineData("/sse", "forged", "token_invalid")]
    [InlineData("/poll", null, "token_missing")]
    [InlineData("/poll", TestChannelAuthorizer.Expired, "token_expired")]
    [InlineData("/poll", "forged", "token_invalid")]
    public async Task A_missing_expired_or_forged_token_is_refused_401_and_logged(string path, string? token, string code)
    {
        var channel = ChannelsFixture.NewChannel();
        var mark = fixture.Logs.Mark();

        var response = await RequestAsync(path, ChannelsFixture.Query(channel), token);

        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        await ChannelApiClient.ExpectErrorAsync(response, HttpStatusCode.Unauthorized, code);
        await fixture.Logs.WhenRefused(401, code, mark);
        Assert.Equal(0, fixture.Hub.PresenceCount(channel));
    }
}
