namespace Switchboard.AspNetCore;

/// <summary>
/// The direct WebSocket mode (<see cref="SwitchboardListenOptionsExtensions.UseSwitchboardWebSockets"/>,
/// docs/deploy.md): how long and how large a connection's first request may be while the mode decides
/// whether it is a WebSocket handshake of its own, and which origins may open one.
/// </summary>
public sealed class DirectWebSocketOptions
{
    /// <summary>
    /// How long the head of a handshake the mode takes may take to arrive (10 s): a connection whose first
    /// bytes are one of its handshakes and that does not finish the head in time is closed (a slow-loris
    /// defence). A connection that sends nothing in that time goes to Kestrel as it is, under Kestrel's timeouts.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest request head the mode reads (8 KiB); a longer one goes to Kestrel, which applies its own limits.</summary>
    public int MaxHandshakeBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// The origins (<c>scheme://host[:port]</c>) that may open a WebSocket on this path, besides the request's
    /// own host; empty allows any. A handshake with another <c>Origin</c> is answered 403. Requests without an
    /// <c>Origin</c> (non-browser clients) pass. Engine.IO's <c>AllowRequest</c> is applied as well.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// The app's own origin check, given the handshake's <c>Origin</c> (null without one) and <c>Host</c>; when set,
    /// it decides instead of <see cref="AllowedOrigins"/> (a refused handshake is answered 403).
    /// </summary>
    public Func<string?, string?, bool>? AllowOrigin { get; set; }
}
