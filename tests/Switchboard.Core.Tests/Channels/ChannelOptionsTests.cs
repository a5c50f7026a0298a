using Switchboard.Channels;

namespace Switchboard.Core.Tests.Channels;

public sealed class ChannelOptionsTests
{
    [Fact]
    public void Without_rules_every_channel_gets_the_default_history()
    {
        var options = new ChannelOptions();
        options.DefaultHistory.Size = 7;

        var policy = options.PolicyFor("any");

        Assert.Same(options.DefaultHistory, policy);
        Assert.Equal(7, policy.Size);
    }

    [Fact]
    public void The_first_matching_rule_wins()
    {
        var options = new ChannelOptions();
        options.History.Add(new ChannelHistoryRule { Pattern = "ticker.*", Size = 1, Ttl = TimeSpan.FromSeconds(10) });
        options.History.Add(new ChannelHistoryRule { Pattern = "ticker.btc", Size = 500, Ttl = TimeSpan.FromHours(1) });
        options.History.Add(new ChannelHistoryRule { Pattern = "chat-*", Size = 50, Ttl = TimeSpan.FromMinutes(30) });

        var ticker = options.PolicyFor("ticker.btc");
        var chat = options.PolicyFor("chat-lobby");

        Assert.Equal(1, ticker.Size);
        Assert.Equal(TimeSpan.FromSeconds(10), ticker.Ttl);
        Assert.Equal(50, chat.Size);
        Assert.Equal(TimeSpan.FromMinutes(30), chat.Ttl);
    }

    [Fact]
    public void A_channel_no_rule_matches_gets_the_default_history()
    {
        var options = new ChannelOptions();
        options.History.Add(new ChannelHistoryRule { Pattern = "chat-*", Size = 50 });

        Assert.Same(options.DefaultHistory, options.PolicyFor("news"));
        Assert.Equal(100, options.PolicyFor("news").Size);
        Assert.Equal(TimeSpan.FromMinutes(5), options.PolicyFor("news").Ttl);
    }
}
