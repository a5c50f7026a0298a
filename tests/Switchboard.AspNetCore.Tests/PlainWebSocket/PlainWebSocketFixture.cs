using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// A Socket.IO server with plain WebSocket endpoints on a real Kestrel, authorized by
/// <see cref="TestChannelAuthorizer"/>:
/// <list type="bullet">
/// <item><c>/ws</c>: namespace <c>/</c>, default options.</item>
/// <item><c>/ws-tight</c>: namespace <c>/</c>, small limits (see <see cref="Tight"/>).</item>
/// <item><c>/ws-other</c>: namespace <c>/other</c>.</item>
/// </list>
/// Channels named <c>small.*</c> keep 3 publications of history. Tests use fresh channel names.
/// </summary>
public class PlainWebSocketFixture : IAsyncLifetime
{
    private static int s_channels;

    public TestHost Host { get; private set; } = null!;

    public PlainLogRecorder Log { get; } = new();

    public SocketServer Io => Host.Services.GetRequiredService<SocketServer>();

    public ChannelHub Hub => Io.Main.Channels;

    public static class Tight
    {
        public const int MaxMessageSize = 1024;
        public const int MaxSubscriptions = 2;
        public const int InvalidFrameBurst = 3;
        public const int MaxHistoryLimit = 4;
        public const int MaxChannelLength = 16;
    }

    /// <summary>A channel name no other test uses.</summary>
    public static string NewChannel(string prefix = "ch") => $"{prefix}.{Interlocked.Increment(ref s_channels)}";

    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>More endpoints, for fixtures that need other options.</summary>
    protected virtual void ConfigureApp(WebApplication app)
    {
    }

    public async Task InitializeAsync()
    {
        Host = await StartHostAsync(Log, ConfigureServices, ConfigureApp);
    }

    /// <summary>Starts a host with the endpoints above (also used for a second host, e.g. after a "restart").</summary>
    public static Task<TestHost> StartHostAsync(PlainLogRecorder log, Action<IServiceCollection>? services = null, Action<WebApplication>? endpoints = null) =>
        TestHost.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton<IChannelAuthorizer, TestChannelAuthorizer>();
                services?.Invoke(builder.Services);
                builder.Services.AddSwitchboard(options =>
                {
                    options.Channels.History.Add(new ChannelHistoryRule { Pattern = "small.*", Size = 3 });
                    // The tests await each refusal's log line: none is throttled.
                    options.Engine.RefusalLogInterval = TimeSpan.Zero;
                });
                builder.Logging.AddProvider(log);
                builder.Logging.AddFilter(PlainLogRecorder.Category, LogLevel.Debug);
            },
            app =>
            {
                app.MapSocketIO("/socket.io");
                app.MapChannelWebSocket("/ws");
                app.MapChannelWebSocket("/ws-tight", configure: options =>
                {
                    options.MaxMessageSize = Tight.MaxMessageSize;
                    options.MaxSubscriptions = Tight.MaxSubscriptions;
                    options.InvalidFrameBurst = Tight.InvalidFrameBurst;
                    options.InvalidFramesPerSecond = 0;
                    options.MaxHistoryLimit = Tight.MaxHistoryLimit;
                    options.MaxChannelLength = Tight.MaxChannelLength;
                });
                app.MapChannelWebSocket("/ws-other", ns: "/other");
                endpoints?.Invoke(app);
            });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
