using Switchboard.AspNetCore.Transports.LongPoll;
using Switchboard.AspNetCore.Transports.PlainWebSocket;
using Switchboard.AspNetCore.Transports.ServerSentEvents;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// The defaults keep every protocol alive behind common proxies (docs/proxies.md, "Timeouts"): a proxy
/// closes a connection silent for its timeout (nginx's <c>proxy_read_timeout</c> 60 s by default,
/// HAProxy's <c>timeout server</c> often 30–50 s), so the server's longest silence must be shorter.
/// </summary>
public sealed class ProxyTimeoutDefaultsTests
{
    private static readonly TimeSpan ShortProxyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TypicalProxyTimeout = TimeSpan.FromSeconds(50);

    [Fact]
    public void A_held_long_poll_ends_before_a_30_second_proxy_timeout()
    {
        var options = new LongPollOptions();
        Assert.True(options.MaxTimeout < ShortProxyTimeout, $"MaxTimeout {options.MaxTimeout}");
        Assert.True(options.DefaultTimeout <= options.MaxTimeout);
    }

    [Fact]
    public void Heartbeats_plus_their_answer_timeouts_stay_below_a_50_second_proxy_timeout()
    {
        var engine = new EngineOptions();
        Assert.True(engine.PingInterval + engine.PingTimeout < TypicalProxyTimeout, $"Socket.IO {engine.PingInterval} + {engine.PingTimeout}");
        Assert.True(engine.PingInterval < ShortProxyTimeout);

        var plain = new PlainWebSocketOptions();
        Assert.True(plain.KeepAliveInterval + plain.KeepAliveTimeout < TypicalProxyTimeout, $"/ws {plain.KeepAliveInterval} + {plain.KeepAliveTimeout}");

        Assert.True(new ServerSentEventsOptions().HeartbeatInterval < ShortProxyTimeout);
    }
}
