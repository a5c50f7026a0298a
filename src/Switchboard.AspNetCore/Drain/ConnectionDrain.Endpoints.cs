using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Drain;

public sealed partial class ConnectionDrain
{
    /// <summary>
    /// The app's drain (registered by <c>AddSwitchboard</c>). Without one (a bare <c>MapEngineIO</c> in an
    /// app that never called it), a drain of the caller's own with no window, started when the host begins
    /// to stop: every connection closed at once, as before there was a drain.
    /// </summary>
    internal static ConnectionDrain Of(IServiceProvider services)
    {
        if (services.GetService<ConnectionDrain>() is { } registered)
        {
            return registered;
        }
        var drain = new ConnectionDrain(new DrainOptions { Window = TimeSpan.Zero }, services.GetService<TimeProvider>() ?? TimeProvider.System,
            (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(Category));
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopping.Register(() => drain.StartAsync());
        return drain;
    }
}
