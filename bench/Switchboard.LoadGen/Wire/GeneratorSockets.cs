namespace Switchboard.LoadGen.Wire;

/// <summary>
/// How the generator's own sockets hand received bytes to its clients (<c>--pacing</c>, docs/performance.md
/// "A second generator at 10k echoes/s"). <c>epoll</c>, the default: every receive completes inline on the one
/// socket-engine thread that waits in epoll, as an epoll generator's loop does, so the generator's core is not
/// spent on thread-pool hand-offs and spinning and each tick's requests leave it together, on time.
/// <c>pool</c>: .NET's default, each completion a thread-pool work item (bench/'s generator before December 2026).
/// Process-wide: it must be chosen before the first socket of the process exists. With <c>epoll</c> the orchestration
/// runs under <see cref="OrchestrationContext"/>, so none of its continuations runs on the engine's one thread (a
/// blocking wait there, such as a server process's exit, would stop every socket of the generator); only the
/// clients' receive loops, which never block, continue there (<c>ConfigureAwait(false)</c>).
/// </summary>
internal static class GeneratorSockets
{
    public const string Epoll = "epoll";
    public const string Pool = "pool";

    /// <summary>The mode in force (<see cref="Configure"/> sets it once, at start).</summary>
    public static string Mode { get; private set; } = Pool;

    public static void Configure(string? pacing)
    {
        Mode = pacing switch
        {
            null or Epoll => Epoll,
            Pool => Pool,
            var other => throw new ArgumentException($"unknown pacing '{other}' (epoll, pool)"),
        };
        if (Mode == Epoll)
        {
            // Read once by System.Net.Sockets when its engine starts (the first socket): one engine thread,
            // continuations run on it instead of being queued to the thread pool.
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", "1");
            SynchronizationContext.SetSynchronizationContext(new OrchestrationContext());
        }
    }

    /// <summary>Removes what <see cref="Configure"/> set from a child process's environment (a server under test keeps its own defaults).</summary>
    public static void Scrub(IDictionary<string, string?> environment)
    {
        if (Mode == Epoll)
        {
            environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
            environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT");
        }
    }

    /// <summary>
    /// Posts every continuation of the code that runs under it to the thread pool (with itself as the context
    /// again), so an await never resumes inline on the thread that completed it: with <c>epoll</c> that would be
    /// the socket engine's only thread. The base <see cref="SynchronizationContext"/> would be skipped by await.
    /// </summary>
    public sealed class OrchestrationContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) =>
            ThreadPool.UnsafeQueueUserWorkItem(static s =>
            {
                var (context, callback, callbackState) = s;
                var previous = Current;
                SetSynchronizationContext(context);
                try
                {
                    callback(callbackState);
                }
                finally
                {
                    SetSynchronizationContext(previous);
                }
            }, (this, d, state), preferLocal: false);

        public override SynchronizationContext CreateCopy() => this;
    }
}
