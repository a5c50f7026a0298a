using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Switchboard.AspNetCore.Drain;

/// <summary>
/// Runs the <see cref="ConnectionDrain"/> when the host stops, in the stopping phase that comes before any
/// hosted service stops: Kestrel still listens (so new connections get a clear refusal rather than a
/// refused TCP connection), the cluster is still joined (so connections not yet closed keep receiving,
/// and sessions are saved for recovery), and the host waits for the drain within its shutdown timeout.
/// </summary>
internal sealed class DrainHostedService(ConnectionDrain drain, IOptions<HostOptions> host) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // Three quarters of the shutdown timeout at most: the rest is for the hosted services that stop after it.
        var timeout = host.Value.ShutdownTimeout;
        var drained = drain.StartAsync(timeout == Timeout.InfiniteTimeSpan ? null : timeout * 3 / 4);
        using (cancellationToken.Register(static d => ((ConnectionDrain)d!).Hurry(), drain))
        {
            await drained.ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => drain.StartAsync();

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
