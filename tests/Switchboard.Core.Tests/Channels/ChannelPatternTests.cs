using Switchboard.Channels;

namespace Switchboard.Core.Tests.Channels;

public sealed class ChannelPatternTests
{
    [Theory]
    [InlineData("*", "anything")]
    [InlineData("*", "")]
    [InlineData("", "")]
    [InlineData("news", "news")]
    [InlineData("news.*", "news.sport")]
    [InlineData("news.*", "news.")]
    [InlineData("a?c", "abc")]
    [InlineData("*.log", "x.y.log")]
    [InlineData("*ab", "aab")]
    [InlineData("a*b*c", "abxc")]
    [InlineData("a*b*c", "abcbc")]
    [InlineData("**", "x")]
    [InlineData("user:*:inbox", "user:42:inbox")]
    [InlineData("??", "ab")]
    public void A_glob_matches(string pattern, string name) =>
        Assert.True(ChannelPattern.IsMatch(pattern, name));

    [Theory]
    [InlineData("", "a")]
    [InlineData("news", "news2")]
    [InlineData("news.*", "news")]
    [InlineData("a?c", "ac")]
    [InlineData("a?c", "abbc")]
    [InlineData("a*b*c", "acb")]
    [InlineData("News", "news")]
    [InlineData("?*", "")]
    [InlineData("user:*:inbox", "user:42:outbox")]
    [InlineData("*.log", "x.log.1")]
    public void A_glob_does_not_match(string pattern, string name) =>
        Assert.False(ChannelPattern.IsMatch(pattern, name));
}
