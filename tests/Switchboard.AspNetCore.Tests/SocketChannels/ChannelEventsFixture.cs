using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Auth;
using Switchboard.AspNetCore.SocketChannels;
using Switchboard.AspNetCore.Tests.Auth;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketChannels;

/// <summary>
/// A Socket.IO server with channel events on its main namespace and HS256 tokens
/// (<see cref="TestTokens.Secret"/>); anonymous access is off unless a subclass turns it on.
/// </summary>
public class ChannelEventsFixture : IAsyncLifetime
{
    private static int s_channels;

    public TestHost Host { get; private set; } = null!;

    public SocketServer Io => Host.Services.GetRequiredService<SocketServer>();

    public ChannelHub Hub => Io.Main.Channels;

    protected virtual void Configure(JwtAuthorizerOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard().Services.AddSwitchboardJwt(options =>
            {
                options.Secret = TestTokens.Secret;
                Configure(options);
            }),
            app => app.MapSocketIO("/socket.io", io => io.UseChannelEvents(app.Services)));
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>A channel name no other test uses, under <paramref name="prefix"/>.</summary>
    public static string NewChannel(string prefix) => $"{prefix}.{Interlocked.Increment(ref s_channels)}";

    /// <summary>A token valid now for ten minutes with these patterns.</summary>
    public static string Token(object? subscribe = null, object? publish = null, string subject = "user-1") =>
        TestTokens.Create(TestTokens.Hs256(), subscribe, publish, subject, issuedAt: DateTimeOffset.UtcNow);
}

/// <summary>As <see cref="ChannelEventsFixture"/>, with anonymous clients allowed to subscribe to <c>public.*</c> and publish on nothing.</summary>
public sealed class AnonymousChannelEventsFixture : ChannelEventsFixture
{
    protected override void Configure(JwtAuthorizerOptions options)
    {
        options.Anonymous.Enabled = true;
        options.Anonymous.Subscribe.Add("public.*");
    }
}
