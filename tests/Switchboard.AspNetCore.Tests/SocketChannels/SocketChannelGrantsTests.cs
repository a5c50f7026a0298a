using Switchboard.AspNetCore.SocketChannels;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.SocketChannels;

/// <summary>
/// A handler that joins a client to a room on its request asks the client's grant first, with
/// <see cref="SocketChannelGrants.JoinAuthorizedAsync"/>: a room is a channel, and a join made by a handler
/// is otherwise the server's decision.
/// </summary>
public sealed class SocketChannelGrantsTests(ChannelEventsFixture fixture) : IClassFixture<ChannelEventsFixture>, IDisposable
{
    private const string JoinRoom = "join-room";

    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task A_handler_join_asks_the_grant_and_a_publish_check_is_its_own()
    {
        fixture.Io.Main.On(JoinRoom, async e =>
        {
            var refusal = await e.Socket.JoinAuthorizedAsync(e.Args.Get<string>(0)!);
            e.Ack(refusal is null ? new { ok = true } : new { ok = false, error = refusal });
        });
        var allowed = ChannelEventsFixture.NewChannel("news");
        var outside = ChannelEventsFixture.NewChannel("chat");
        await using var client = await ChannelSocket.ConnectAsync(fixture.Host, ChannelEventsFixture.Token(subscribe: "news.*"));
        var socket = fixture.Io.Main.Sockets[client.Id];

        var refused = await client.EmitWithAckAsync(JoinRoom, outside);
        var bad = await client.EmitWithAckAsync(JoinRoom, "news.a\nb");
        var own = await client.EmitWithAckAsync(JoinRoom, client.Id);
        var joined = await client.EmitWithAckAsync(JoinRoom, allowed);

        Assert.False(refused.GetProperty("ok").GetBoolean());
        Assert.Equal("forbidden", refused.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal($"Not allowed to subscribe to '{outside}'.", refused.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("bad_request", bad.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("forbidden", own.GetProperty("error").GetProperty("code").GetString());
        Assert.True(joined.GetProperty("ok").GetBoolean());
        Assert.Contains(allowed, socket.Rooms);
        Assert.DoesNotContain(outside, socket.Rooms);
        Assert.True(socket.CanSubscribe(allowed));
        Assert.False(socket.CanPublish(allowed), "the token grants no publishing");
        Assert.Equal("forbidden", socket.CheckPublish(allowed)!.Code);
    }

    [Fact]
    public async Task A_socket_without_a_grant_may_do_nothing()
    {
        var nsp = fixture.Io.Of($"/no-channel-events-{Guid.NewGuid():N}");
        await using var client = await SocketIOTestClient.OpenAsync(fixture.Host);
        var id = await client.JoinAsync(nsp.Name);
        var socket = nsp.Sockets[id];

        var refusal = await socket.JoinAuthorizedAsync("news.a").Within();

        Assert.Equal("forbidden", refusal!.Code);
        Assert.False(socket.CanSubscribe("news.a"));
        Assert.False(socket.CanPublish("news.a"));
        Assert.DoesNotContain("news.a", socket.Rooms);
    }
}
