using Microsoft.Extensions.Options;
using Switchboard.SocketIO;

namespace Switchboard.Server.Hosting;

/// <summary>
/// The standalone server's side of the paced drain (docs/drain.md): the library closes connections over
/// <c>Switchboard:Drain:Window</c> (5 s by default) when the host stops, within three quarters of the
/// host's shutdown timeout; this raises the timeout (30 s by default) when the window needs more.
/// </summary>
internal static class DrainHosting
{
    /// <summary>What the host keeps after the drain for the services that stop after it (leaving the cluster).</summary>
    private static readonly TimeSpan AfterDrain = TimeSpan.FromSeconds(5);

    public static void AllowTimeToDrain(this WebApplicationBuilder builder) =>
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<SocketServerOptions>>((host, switchboard) =>
        {
            var needed = (switchboard.Value.Drain.Window * 4 / 3) + AfterDrain;
            if (host.ShutdownTimeout != Timeout.InfiniteTimeSpan && host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
}
