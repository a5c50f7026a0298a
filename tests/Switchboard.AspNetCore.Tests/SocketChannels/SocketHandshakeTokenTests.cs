using System.Text.Json;
using Switchboard.AspNetCore.SocketChannels;
using Switchboard.Engine;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketChannels;

/// <summary>Where a Socket.IO client's token is looked for, in order.</summary>
public sealed class SocketHandshakeTokenTests
{
    private static SocketHandshake Handshake(string auth = "{}", Dictionary<string, string>? headers = null, Dictionary<string, string>? query = null) =>
        new(new EngineRequest("/socket.io/", query ?? [], headers ?? [], null, false, DateTimeOffset.UnixEpoch), JsonDocument.Parse(auth).RootElement);

    private static string? Read(SocketHandshake handshake)
    {
        Assert.True(SocketHandshakeToken.TryRead(handshake, out var token));
        return token;
    }

    [Fact]
    public void The_auth_payload_token_comes_first()
    {
        var handshake = Handshake("""{"token":"from-auth"}""", new() { ["authorization"] = "Bearer from-header" }, new() { ["token"] = "from-query" });

        Assert.Equal("from-auth", Read(handshake));
    }

    [Fact]
    public void Then_the_bearer_header_then_the_query_then_the_cookie()
    {
        Assert.Equal("h", Read(Handshake(headers: new() { ["authorization"] = "bearer  h ", ["cookie"] = "sb_token=c" }, query: new() { ["token"] = "q" })));
        Assert.Equal("q", Read(Handshake(headers: new() { ["cookie"] = "sb_token=c" }, query: new() { ["token"] = "q" })));
        Assert.Equal("c.d", Read(Handshake(headers: new() { ["cookie"] = "theme=dark; sb_token=c.d; other=1" })));
    }

    [Fact]
    public void No_token_anywhere_is_null()
    {
        Assert.Null(Read(Handshake(headers: new() { ["authorization"] = "Basic abc", ["cookie"] = "sb_tokenx=1; x=sb_token" })));
        Assert.Null(Read(Handshake("""{"token":null}""")));
    }

    [Fact]
    public void A_token_in_the_auth_payload_that_is_not_a_string_is_refused()
    {
        Assert.False(SocketHandshakeToken.TryRead(Handshake("""{"token":{"jwt":"x"}}"""), out _));
    }
}
