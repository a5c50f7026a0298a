using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.SocketChannels;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Limits;

/// <summary>The Socket.IO limits on real wires (docs/protection.md): event rate, subscriptions, rooms.</summary>
public sealed class SocketLimitTests
{
    private static Task<TestHost> StartAsync(Action<LimitOptions> limits) => TestHost.StartAsync(
        builder => builder.Services.AddSwitchboard(options => limits(options.Limits)),
        app => app.MapSocketIO("/socket.io", io =>
        {
            io.UseChannelEvents(app.Services);
            io.Main.On("echo", e =>
            {
                e.Ack(e.Args);
                return ValueTask.CompletedTask;
            });
            io.Main.On("ok", e =>
            {
                e.Ack("ok");
                return ValueTask.CompletedTask;
            });
            io.Main.On("join", e =>
            {
                try
                {
                    e.Socket.Join(e.Arg<string>(0)!);
                    e.Ack("joined");
                }
                catch (SocketLimitException)
                {
                    e.Ack("refused");
                }
                return ValueTask.CompletedTask;
            });
        }));

    [Fact]
    public async Task Events_past_the_burst_are_answered_rate_limited_and_other_connections_go_on()
    {
        await using var host = await StartAsync(l =>
        {
            l.EventsPerSecond = 0.01;
            l.EventBurst = 3;
        });
        var (client, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _client = client;
        var (other, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _other = other;

        // The CONNECT took one token: two events pass, the third is refused with the error ack.
        await client.SendAsync("421[\"echo\",1]");
        Assert.Equal("431[1]", await client.ReceiveTextAsync());
        await client.SendAsync("422[\"echo\",2]");
        Assert.Equal("432[2]", await client.ReceiveTextAsync());
        await client.SendAsync("423[\"echo\",3]");
        var refused = await client.ReceiveTextAsync();

        Assert.StartsWith("433[{\"ok\":false,\"error\":{\"code\":\"rate_limited\"", refused);
        await other.SendAsync("421[\"echo\",\"still here\"]");
        Assert.Equal("431[\"still here\"]", await other.ReceiveTextAsync());
        Assert.Equal(1, host.Services.GetRequiredService<SocketServer>().Limits.EventsDropped);
        host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task A_connection_that_keeps_sending_over_its_rate_is_disconnected()
    {
        await using var host = await StartAsync(l =>
        {
            l.EventsPerSecond = 0.01;
            l.EventBurst = 5;
        });
        var (client, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _client = client;

        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync("42[\"flood\"]");
        }

        // The server's DISCONNECT for the namespace, then the Engine.IO close.
        Assert.Equal("41", await client.ReceiveTextAsync());
        await client.Engine.WaitClosedAsync();
        Assert.Equal(1, host.Services.GetRequiredService<SocketServer>().Limits.ConnectionsClosed);
        host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Bytes_past_the_byte_rate_are_refused_too()
    {
        await using var host = await StartAsync(l =>
        {
            l.EventBytesPerSecond = 1;
            l.EventBytesBurst = 1;
        });
        var (client, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _client = client;
        var big = new string('x', 900_000);

        await client.SendAsync($"421[\"echo\",\"{big}\"]");
        Assert.StartsWith("431[\"xxx", await client.ReceiveTextAsync());
        await client.SendAsync($"422[\"echo\",\"{big}\"]");

        Assert.StartsWith("432[{\"ok\":false,\"error\":{\"code\":\"rate_limited\"", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task Binary_attachments_count_against_the_byte_rate_and_a_dropped_binary_event_keeps_the_stream_in_step()
    {
        await using var host = await StartAsync(l =>
        {
            l.EventBytesPerSecond = 1;
            l.EventBytesBurst = 1;
        });
        var (client, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _client = client;
        var attachment = new byte[600_000];

        var replies = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            // A full bucket (MaxPayload, 1 000 000) takes the first; the second's header still fits, and
            // its attachment is owed; the third is refused, and its attachment consumed with it.
            await client.SendAsync($"451-{i}[\"ok\",{{\"_placeholder\":true,\"num\":0}}]");
            await client.SendAsync(attachment);
            replies.Add(await client.ReceiveTextAsync());
        }
        await client.SendAsync("424[\"ok\"]");
        var afterwards = await client.ReceiveTextAsync();

        Assert.Equal("431[\"ok\"]", replies[0]);
        Assert.Equal("432[\"ok\"]", replies[1]);
        Assert.StartsWith("433[{\"ok\":false,\"error\":{\"code\":\"rate_limited\"", replies[2]);
        Assert.StartsWith("434[{\"ok\":false,\"error\":{\"code\":\"rate_limited\"", afterwards);
        Assert.Equal(WebSocketState.Open, client.Engine.State);
        host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Subscriptions_past_the_cap_are_refused_with_too_many_subscriptions()
    {
        await using var host = await StartAsync(l => l.MaxSubscriptionsPerSocket = 2);
        var (client, _) = await SocketIOTestClient.ConnectAsync(host);
        await using var _client = client;

        string[] replies = new string[4];
        var requests = new[] { "a", "b", "c", "a" };
        for (var i = 0; i < requests.Length; i++)
        {
            await client.SendAsync($"42{i + 1}[\"subscribe\",{{\"channel\":\"{requests[i]}\"}}]");
            replies[i] = await client.ReceiveTextAsync();
        }

        Assert.Contains("\"ok\":true", replies[0]);
        Assert.Contains("\"ok\":true", replies[1]);
        Assert.StartsWith("433[{\"ok\":false,\"error\":{\"code\":\"too_many_subscriptions\"", replies[2]);
        Assert.Contains("\"ok\":true", replies[3]);
        Assert.Equal(1, host.Services.GetRequiredService<SocketServer>().Limits.SubscriptionsRefused);
        host.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task Join_past_the_room_cap_throws_and_joins_nothing()
    {
        await using var host = await StartAsync(l => l.MaxRoomsPerSocket = 3);
        var (client, socketId) = await SocketIOTestClient.ConnectAsync(host);
        await using var _client = client;
        var io = host.Services.GetRequiredService<SocketServer>();

        var answers = new List<string>();
        foreach (var (room, i) in new[] { "r1", "r2", "r3", "r1" }.Select((r, i) => (r, i)))
        {
            await client.SendAsync($"42{i + 1}[\"join\",\"{room}\"]");
            answers.Add(await client.ReceiveTextAsync());
        }

        Assert.Equal(["431[\"joined\"]", "432[\"joined\"]", "433[\"refused\"]", "434[\"joined\"]"], answers);
        Assert.Equal(3, io.Main.Sockets[socketId].Rooms.Count);
        Assert.Equal(1, io.Limits.JoinsRefused);
    }
}
