using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// The standalone server binds its "Switchboard" section onto <see cref="SocketServerOptions"/>, whose
/// <c>Channels.History</c> and <c>Channels.SlowConsumers</c> are get-only lists: the binder must fill them.
/// </summary>
public sealed class ChannelOptionsBindingTests
{
    [Fact]
    public void History_and_slow_consumer_rules_bind_from_json_into_the_get_only_lists()
    {
        const string json = """
            {
              "Switchboard": {
                "Channels": {
                  "MaxQueuedBytes": 1048576,
                  "History": [
                    { "Pattern": "prices.*", "Size": 50, "Ttl": "00:01:00" },
                    { "Pattern": "cursors.*", "Size": 1, "Ttl": "00:00:10" }
                  ],
                  "SlowConsumers": [
                    { "Pattern": "cursors.*", "Policy": "LatestPerKey", "Key": "id" },
                    { "Pattern": "feed.*", "Policy": "DropOldest" }
                  ]
                }
              }
            }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        using var services = new ServiceCollection().AddLogging()
            .AddSwitchboard().Services
            .Configure<SocketServerOptions>(configuration.GetSection("Switchboard"))
            .BuildServiceProvider();

        var channels = services.GetRequiredService<IOptions<SocketServerOptions>>().Value.Channels;

        Assert.Equal(1048576, channels.MaxQueuedBytes);
        Assert.Collection(channels.SlowConsumers,
            rule => Assert.Equal(("cursors.*", SlowConsumerPolicy.LatestPerKey, "id"), (rule.Pattern, rule.Policy, rule.Key)),
            rule => Assert.Equal(("feed.*", SlowConsumerPolicy.DropOldest, (string?)null), (rule.Pattern, rule.Policy, rule.Key)));
        Assert.Equal(2, channels.History.Count);
        var cursors = channels.PolicyFor("cursors.lobby");
        Assert.Equal((1, TimeSpan.FromSeconds(10)), (cursors.Size, cursors.Ttl));
        Assert.Equal(50, channels.PolicyFor("prices.AAPL").Size);
        Assert.Equal(100, channels.PolicyFor("chat.lobby").Size);
    }
}
