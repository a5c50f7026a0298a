using Microsoft.AspNetCore.Builder;
using Switchboard.AspNetCore.Transports.PlainWebSocket;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>Mistakes in setting up the endpoint fail at startup with a clear exception.</summary>
public sealed class PlainWebSocketMappingTests
{
    [Fact]
    public async Task Mapping_without_AddSwitchboard_says_what_is_missing()
    {
        var builder = WebApplication.CreateBuilder();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapChannelWebSocket());

        Assert.Contains("AddSwitchboard", error.Message);
    }

    [Theory]
    [InlineData(nameof(PlainWebSocketOptions.MaxMessageSize))]
    [InlineData(nameof(PlainWebSocketOptions.MaxSubscriptions))]
    [InlineData(nameof(PlainWebSocketOptions.PublishBurst))]
    [InlineData(nameof(PlainWebSocketOptions.MaxQueued))]
    [InlineData(nameof(PlainWebSocketOptions.SendTimeout))]
    public async Task Options_out_of_range_are_refused_naming_the_option(string option)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddSwitchboard();
        await using var app = builder.Build();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => app.MapChannelWebSocket(configure: o =>
        {
            switch (option)
            {
                case nameof(o.MaxMessageSize): o.MaxMessageSize = 0; break;
                case nameof(o.MaxSubscriptions): o.MaxSubscriptions = 0; break;
                case nameof(o.PublishBurst): o.PublishBurst = 0; break;
                case nameof(o.MaxQueued): o.MaxQueued = -1; break;
                case nameof(o.SendTimeout): o.SendTimeout = TimeSpan.Zero; break;
            }
        }));

        Assert.Equal(option, error.ParamName);
    }
}
