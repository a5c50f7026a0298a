using System.Text.Json;
using Switchboard.AspNetCore.SocketChannels;
using Switchboard.AspNetCore.Tests.Auth;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.SocketChannels;

/// <summary>The token in the CONNECT auth payload, checked by the channel middleware.</summary>
public sealed class SocketChannelAuthTests(ChannelEventsFixture fixture) : IClassFixture<ChannelEventsFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    private static void AssertUnauthorized(JsonElement error, string code, string message)
    {
        Assert.Equal("unauthorized", error.GetProperty("message").GetString());
        Assert.Equal(code, error.GetProperty("data").GetProperty("code").GetString());
        Assert.Equal(message, error.GetProperty("data").GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_valid_token_connects_and_the_socket_carries_its_grant()
    {
        await using var client = await ChannelSocket.ConnectAsync(fixture.Host, ChannelEventsFixture.Token("prices.*", "chat.*", "alice"));

        var grant = SocketIOFixture.ServerSocket(fixture.Io.Main, client.Id).GetChannelGrant();
        Assert.NotNull(grant);
        Assert.Equal("alice", grant.UserId);
        Assert.Equal(["prices.*"], grant.Subscribe);
        Assert.Equal(["chat.*"], grant.Publish);
    }

    [Fact]
    public async Task An_expired_token_is_refused_with_token_expired()
    {
        var expired = TestTokens.Create(TestTokens.Hs256(), "*", "*", issuedAt: DateTimeOffset.UtcNow.AddHours(-1), lifetime: TimeSpan.FromMinutes(10));

        var error = await ChannelSocket.ConnectRefusedAsync(fixture.Host, ChannelSocket.Json(new { token = expired }));

        AssertUnauthorized(error, "token_expired", "The token has expired.");
    }

    [Fact]
    public async Task A_forged_token_is_refused_with_token_invalid()
    {
        var forged = TestTokens.Create(TestTokens.Hs256(TestTokens.OtherSecret), "*", "*", issuedAt: DateTimeOffset.UtcNow);

        var error = await ChannelSocket.ConnectRefusedAsync(fixture.Host, ChannelSocket.Json(new { token = forged }));

        AssertUnauthorized(error, "token_invalid", "The token's signature is invalid.");
    }

    [Theory]
    [InlineData("""{"token":"not.a.token"}""", "The token is malformed.")]
    [InlineData("""{"token":42}""", "auth.token must be a string.")]
    public async Task A_malformed_token_is_refused_with_token_invalid(string auth, string message)
    {
        var error = await ChannelSocket.ConnectRefusedAsync(fixture.Host, auth);

        AssertUnauthorized(error, "token_invalid", message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("""{"token":null}""")]
    public async Task No_token_is_refused_with_token_missing_when_anonymous_access_is_off(string auth)
    {
        var error = await ChannelSocket.ConnectRefusedAsync(fixture.Host, auth);

        AssertUnauthorized(error, "token_missing", "A token is required.");
    }

    [Fact]
    public async Task A_refused_CONNECT_leaves_the_connection_open_for_a_retry_with_a_good_token()
    {
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        await client.SendAsync("40{\"token\":\"bad\"}");
        Assert.StartsWith("44{\"message\":\"unauthorized\"", await client.ReceiveTextAsync());

        var id = await client.JoinAsync("/", ChannelSocket.Json(new { token = ChannelEventsFixture.Token("*") }));

        Assert.True(fixture.Io.Main.Sockets.ContainsKey(id));
    }
}

/// <summary>Anonymous access on: no token gets the anonymous patterns; a bad token is still refused.</summary>
public sealed class AnonymousSocketChannelTests(AnonymousChannelEventsFixture fixture) : IClassFixture<AnonymousChannelEventsFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task Without_a_token_a_client_connects_with_the_anonymous_patterns_only()
    {
        await using var client = await ChannelSocket.ConnectAsync(fixture.Host);
        var open = ChannelEventsFixture.NewChannel("public");
        var closed = ChannelEventsFixture.NewChannel("private");

        var subscribed = await client.EmitWithAckAsync("subscribe", new { channel = open });
        var refused = await client.EmitWithAckAsync("subscribe", new { channel = closed });
        var published = await client.EmitWithAckAsync("publish", new { channel = open, data = 1 });

        Assert.True(subscribed.GetProperty("ok").GetBoolean());
        Assert.Equal("forbidden", refused.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("forbidden", published.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_forged_token_is_refused_even_though_anonymous_access_is_on()
    {
        var forged = TestTokens.Create(TestTokens.Hs256(TestTokens.OtherSecret), "*", "*", issuedAt: DateTimeOffset.UtcNow);

        var error = await ChannelSocket.ConnectRefusedAsync(fixture.Host, ChannelSocket.Json(new { token = forged }));

        Assert.Equal("token_invalid", error.GetProperty("data").GetProperty("code").GetString());
    }
}
