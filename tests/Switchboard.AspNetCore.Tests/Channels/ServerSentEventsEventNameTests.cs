using Switchboard.AspNetCore.Transports.ServerSentEvents;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>The event name an SSE stream gives a publication (docs/protocols/sse.md, "Response"): a name the stream or EventSource reserves is sent as <c>message</c>.</summary>
public sealed class ServerSentEventsEventNameTests
{
    [Theory]
    [InlineData("tick", "tick")]
    [InlineData("message", "message")]
    [InlineData("", "message")]
    [InlineData("subscribed", "message")]
    [InlineData("discontinuity", "message")]
    [InlineData("close", "message")]
    [InlineData("error", "message")]
    [InlineData("open", "message")]
    [InlineData("two\nlines", "message")]
    public void A_publication_whose_name_the_stream_or_EventSource_reserves_is_sent_as_message(string name, string sent) =>
        Assert.Equal(sent, ServerSentEventsEndpoint.EventName(name));
}
