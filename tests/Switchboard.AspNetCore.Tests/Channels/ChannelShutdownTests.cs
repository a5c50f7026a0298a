using System.Diagnostics;
using System.Net;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>Open streams and held polls end as soon as the host starts stopping; they never hold up the shutdown.</summary>
public sealed class ChannelShutdownTests
{
    [Fact]
    public async Task Stopping_the_host_closes_sse_streams_with_a_reason_and_answers_held_polls_at_once()
    {
        var fixture = new ChannelsFixture();
        await fixture.InitializeAsync();
        try
        {
            var channel = ChannelsFixture.NewChannel();
            await using var sse = await fixture.ConnectSseAsync(ChannelsFixture.Query(channel));
            var cursor = (await fixture.Api.PollAsync(ChannelsFixture.Query(channel) + "&timeout=0")).GetProperty("cursor").GetString();
            var mark = fixture.Logs.Mark();
            var poll = fixture.Api.SendAsync(HttpMethod.Get, $"/poll?{ChannelsFixture.Query(channel)}&cursor={cursor}&timeout=30", key: null, token: TestChannelAuthorizer.Good);
            await fixture.Logs.WhenPollHeld(channel, mark);

            var started = Stopwatch.GetTimestamp();
            var stopping = fixture.Host.StopAsync();
            var events = await sse.ReadToEndAsync();
            var answer = await ChannelApiClient.ExpectJsonAsync(await poll, HttpStatusCode.OK);
            await stopping.Within();

            var close = Assert.Single(events);
            Assert.Equal(("close", "server shutting down"), (close.Event, close.Json.GetProperty("reason").GetString()));
            Assert.Equal(cursor, answer.GetProperty("cursor").GetString());
            Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(2), "The shutdown waited for the host's shutdown timeout.");
            fixture.Host.Logs.AssertNoErrors();
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }
}
