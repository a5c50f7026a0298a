using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Switchboard.AspNetCore.Auth;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;

namespace Switchboard.AspNetCore.Tests.Auth;

public sealed class JwtRegistrationTests
{
    [Fact]
    public void AddSwitchboardJwt_replaces_the_allow_all_authorizer_whichever_is_called_first()
    {
        var after = new ServiceCollection().AddLogging()
            .AddSwitchboard().Services
            .AddSwitchboardJwt(o => o.Secret = TestTokens.Secret)
            .BuildServiceProvider();
        var before = new ServiceCollection().AddLogging()
            .AddSwitchboardJwt(o => o.Secret = TestTokens.Secret)
            .AddSwitchboard().Services
            .BuildServiceProvider();

        Assert.IsType<JwtChannelAuthorizer>(after.GetRequiredService<IChannelAuthorizer>());
        Assert.IsType<JwtChannelAuthorizer>(before.GetRequiredService<IChannelAuthorizer>());
        Assert.Same(after.GetRequiredService<JwtChannelAuthorizer>(), after.GetRequiredService<IChannelAuthorizer>());
    }

    [Fact]
    public async Task The_options_bind_from_a_configuration_section_lists_and_anonymous_access_included()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Switchboard:Auth:Secret"] = TestTokens.Secret,
            ["Switchboard:Auth:Issuer"] = "https://auth.example",
            ["Switchboard:Auth:ClockSkew"] = "00:01:30",
            ["Switchboard:Auth:SubscribeClaim"] = "read",
            ["Switchboard:Auth:Anonymous:Enabled"] = "true",
            ["Switchboard:Auth:Anonymous:Subscribe:0"] = "prices.*",
            ["Switchboard:Auth:Anonymous:Subscribe:1"] = "news",
            ["Switchboard:Auth:Anonymous:Publish:0"] = "demo.*",
        }).Build();
        var services = new ServiceCollection().AddLogging()
            .AddSwitchboard().Services
            .AddSwitchboardJwt(configuration.GetSection(JwtAuthorizerOptions.SectionName))
            .BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<JwtAuthorizerOptions>>().Value;
        Assert.Equal("https://auth.example", options.Issuer);
        Assert.Equal(TimeSpan.FromSeconds(90), options.ClockSkew);
        Assert.Equal("read", options.SubscribeClaim);
        Assert.Equal(["prices.*", "news"], options.Anonymous.Subscribe);

        var anonymous = await services.GetRequiredService<IChannelAuthorizer>().AuthorizeAsync(null).Within();
        Assert.Equal(["prices.*", "news"], anonymous.Grant!.Subscribe);
        Assert.Equal(["demo.*"], anonymous.Grant.Publish);
    }

    [Fact]
    public async Task A_host_with_a_bad_key_setting_does_not_start_and_says_which_setting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard().Services.AddSwitchboardJwt(o => o.Secret = "short"),
            app => { }));

        Assert.Contains("Switchboard:Auth:Secret", error.Message);
    }
}
