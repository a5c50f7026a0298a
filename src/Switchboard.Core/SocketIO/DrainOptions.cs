namespace Switchboard.SocketIO;

/// <summary>
/// How the server lets go of its connections when the host stops (docs/drain.md): new connections are
/// refused at once, and the open ones are closed over <see cref="Window"/>, each told to reconnect and
/// resume, so a rolling restart does not send every client of a node to the others in the same instant.
/// Bound from <c>Switchboard:Drain</c> in the standalone server. The drain itself is run by
/// <c>ConnectionDrain</c> (Switchboard.AspNetCore).
/// </summary>
public sealed class DrainOptions
{
    /// <summary>
    /// The time over which the open connections are closed, evenly spaced. Default 5 s; zero closes every
    /// connection at once. It is cut to three quarters of the host's <c>ShutdownTimeout</c> when longer,
    /// so the drain always ends before the host gives up on its requests.
    /// </summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The <c>Retry-After</c> of a connection refused during the drain. Default 1 s.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);
}
