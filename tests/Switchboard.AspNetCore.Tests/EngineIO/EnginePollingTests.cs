using System.Net;
using Microsoft.AspNetCore.Http;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Engine;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.EngineIO;

public sealed class EnginePollingTests(EchoEngineFixture fixture) : IClassFixture<EchoEngineFixture>, IDisposable
{
    public void Dispose() => fixture.Host.Logs.AssertNoErrors();

    [Fact]
    public async Task A_second_concurrent_poll_is_refused_and_closes_the_session_releasing_the_first_with_a_close_packet()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var arrived = fixture.WhenPollArrives(client.Sid);
        var first = client.PollAsync();
        await arrived;
        fixture.Session(client.Sid).Session.WaitUntilPollHeld();

        using var second = await client.GetAsync();

        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Equal("{\"code\":3,\"message\":\"Bad request\"}", await second.Content.ReadAsStringAsync());
        Assert.Equal(["1"], await first);
        Assert.Equal(DisconnectCode.TooLarge, await fixture.Session(client.Sid).Closed.Task.Within());
    }

    [Fact]
    public async Task A_second_concurrent_post_is_refused_and_closes_the_session()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var probe = fixture.Session(client.Sid);
        var body = new GatedContent("4fir", "st");
        var arrived = fixture.WhenRequestArrives(r => HttpMethods.IsPost(r.Method) && r.Query["sid"] == client.Sid);
        var first = client.SendAsync(HttpMethod.Post, client.SessionUrl, body);
        await arrived;
        probe.Session.WaitUntilPostHeld();

        using var second = await client.PostRawAsync("4second");
        body.Finish();

        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Equal("{\"code\":3,\"message\":\"Bad request\"}", await second.Content.ReadAsStringAsync());
        Assert.Equal(DisconnectCode.TooLarge, await probe.Closed.Task.Within());
        (await first).Dispose();
    }

    [Fact]
    public async Task A_client_close_packet_ends_the_session_and_releases_the_held_poll()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var arrived = fixture.WhenPollArrives(client.Sid);
        var held = client.PollAsync();
        await arrived;
        fixture.Session(client.Sid).Session.WaitUntilPollHeld();

        await client.PostAsync("1");

        Assert.Equal(DisconnectCode.ClientClosed, await fixture.Session(client.Sid).Closed.Task.Within());
        Assert.Equal(["6"], await held);
        using var after = await client.GetAsync();
        Assert.Equal(HttpStatusCode.BadRequest, after.StatusCode);
        Assert.Equal("{\"code\":1,\"message\":\"Session ID unknown\"}", await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Packets_after_a_close_packet_in_the_same_payload_are_not_delivered()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var probe = fixture.Session(client.Sid);

        await client.PostAsync("4before", "1", "4after");

        Assert.Equal(DisconnectCode.ClientClosed, await probe.Closed.Task.Within());
        var delivered = new List<string>();
        await foreach (var packet in probe.Received.Reader.ReadAllAsync().WithCancellation(CancellationToken.None))
        {
            delivered.Add(System.Text.Encoding.UTF8.GetString(packet.Data.Span));
        }
        Assert.Equal(["before"], delivered);
    }

    [Fact]
    public async Task A_websocket_client_close_packet_makes_the_server_close_the_socket()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var _ = client;

        await client.SendAsync("1");

        Assert.Equal(DisconnectCode.ClientClosed, await fixture.Session(open.GetProperty("sid").GetString()!).Closed.Task.Within());
        await client.WaitClosedAsync();
    }

    [Fact]
    public async Task A_websocket_that_goes_away_closes_its_session_with_transport_close()
    {
        var (client, open) = await EngineWebSocketClient.HandshakeAsync(fixture.Host.BaseAddress, "/engine.io");
        await using var _ = client;

        await client.CloseAsync();

        Assert.Equal(DisconnectCode.ClientClosed, await fixture.Session(open.GetProperty("sid").GetString()!).Closed.Task.Within());
    }

    [Fact]
    public async Task A_server_close_answers_the_held_poll_with_a_close_packet()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var arrived = fixture.WhenPollArrives(client.Sid);
        var held = client.PollAsync();
        await arrived;
        fixture.Session(client.Sid).Session.WaitUntilPollHeld();

        fixture.Session(client.Sid).Session.Close(DisconnectCode.Disconnected);

        Assert.Equal(["1"], await held);
    }

    /// <summary>
    /// engine.io flushes its write buffer before it closes; here a close with no poll held removes the
    /// session at once, so the next poll finds no session and the queued packets are lost.
    /// </summary>
    [Fact]
    public async Task A_server_close_without_a_held_poll_still_delivers_queued_messages_then_the_close_packet_alone()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var session = fixture.Session(client.Sid).Session;

        session.SendText("last words"u8);
        session.Close(DisconnectCode.Disconnected);

        // As Node: the close packet never shares a payload with the packets before it (Socket.IO clients
        // handle a DISCONNECT a tick later, so a close in the same payload would overtake it).
        Assert.Equal(["4last words"], await client.PollAsync());
        Assert.Equal(["1"], await client.PollAsync());
        using var after = await client.GetAsync();
        Assert.Equal(HttpStatusCode.BadRequest, after.StatusCode);
    }

    [Fact]
    public async Task A_server_close_during_a_held_poll_answers_it_then_gives_the_close_packet_to_the_next_poll()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();
        var session = fixture.Session(client.Sid).Session;
        var held = client.PollAsync();
        session.WaitUntilPollHeld();

        session.SendText("bye"u8);
        session.Close(DisconnectCode.Disconnected);

        Assert.Equal(["4bye"], await held.Within());
        Assert.Equal(["1"], await client.PollAsync());
    }

    /// <summary>
    /// The socket.io-protocol suite's "should forcefully close the session" sends a GET and a POST
    /// <c>1</c> at once. Node answers the GET with a noop; here the POST is handled first, on purpose.
    /// </summary>
    [Fact]
    public async Task A_client_close_posted_before_the_poll_still_answers_that_poll_with_a_noop()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();

        await client.PostAsync("1");
        Assert.Equal(DisconnectCode.ClientClosed, await fixture.Session(client.Sid).Closed.Task.Within());

        using var poll = await client.GetAsync();
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Equal("6", await poll.Content.ReadAsStringAsync());
        using var after = await client.GetAsync();
        Assert.Equal(HttpStatusCode.BadRequest, after.StatusCode);
        Assert.Equal("{\"code\":1,\"message\":\"Session ID unknown\"}", await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_post_after_a_client_close_is_refused_as_an_unknown_session()
    {
        using var client = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await client.HandshakeAsync();

        await client.PostAsync("1");

        using var post = await client.PostRawAsync("4late");
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Equal("{\"code\":1,\"message\":\"Session ID unknown\"}", await post.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Answers_built_in_a_reused_buffer_carry_exactly_their_own_packets()
    {
        // Large then small answers, alternating between two sessions: each poll's answer is built in a
        // per-thread buffer that is kept up to 64 KiB and reused, so a leftover of an earlier, longer
        // answer (or another session's) would show here.
        using var a = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        using var b = new EnginePollingClient(fixture.Host.BaseAddress, "/engine.io");
        await a.HandshakeAsync();
        await b.HandshakeAsync();
        var sizes = new[] { 5_000, 3, 70_000, 10, 60_000, 1 };

        for (var i = 0; i < sizes.Length; i++)
        {
            var client = i % 2 == 0 ? a : b;
            var message = "4" + new string((char)('a' + i), sizes[i]);
            await client.PostAsync(message);

            Assert.Equal([message], await client.PollAsync());
        }
    }
}
