namespace Switchboard.Engine;

/// <summary>Engine.IO settings, the same names and defaults as the Node.js engine.io server.</summary>
public sealed class EngineOptions
{
    /// <summary>How often the server pings a client. Default 25 s.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>How long the server waits for the pong before it closes the session. Default 20 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long an upgrade from polling to WebSocket may take. Default 10 s.</summary>
    public TimeSpan UpgradeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The largest message (WebSocket) or HTTP body (polling POST) accepted, in bytes; advertised to
    /// clients as <c>maxPayload</c>. Node calls this <c>maxHttpBufferSize</c>. Default 1 MB.
    /// </summary>
    public long MaxPayload { get; set; } = 1_000_000;

    /// <summary>
    /// The outbound byte budget of one session: the most bytes (each queued packet weighs its bytes,
    /// attachments included, plus 64) that may wait for a client that does not read. A session past it
    /// is closed as a slow consumer (<see cref="Protocols.DisconnectCode.SlowConsumer"/>) and its queue released;
    /// one packet larger than the budget still goes out when nothing else waits. Node's engine.io has
    /// no such limit. Default 4 MiB (docs/protection.md says why not 1).
    /// </summary>
    public long MaxQueuedBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// How long one write to a client may take (a batch of queued packets on a WebSocket) before the
    /// client is taken for one that stopped reading: the connection is dropped and the session closed as
    /// a slow consumer. Default 10 s.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether HTTP long-polling is offered. Default true.</summary>
    public bool AllowPolling { get; set; } = true;

    /// <summary>Whether WebSocket is offered. Default true.</summary>
    public bool AllowWebSocket { get; set; } = true;

    /// <summary>Whether a polling session may upgrade to WebSocket. Default true.</summary>
    public bool AllowUpgrades { get; set; } = true;

    /// <summary>
    /// Whether Engine.IO v3 clients (<c>EIO=3</c>: socket.io-client 2.x, and the apps that still ship it)
    /// may connect, as Node's <c>allowEIO3</c>; they then speak the Socket.IO v4 protocol above it
    /// (docs/engine-io-v3.md). When false such a handshake is refused with
    /// <c>{"code":5,"message":"Unsupported protocol version"}</c>. Default false.
    /// </summary>
    public bool AllowEIO3 { get; set; }

    /// <summary>
    /// The cookie a handshake response sets to the session id, for load balancers that route by cookie
    /// (Node's <c>cookie</c> option). Null sets none. Default null.
    /// </summary>
    public EngineCookieOptions? Cookie { get; set; }

    /// <summary>
    /// Decides whether a handshake or an upgrade request is accepted (socket.io's <c>allowRequest</c>), e.g.
    /// by checking the <c>origin</c> header, which browsers send but CORS does not enforce for WebSockets.
    /// A refused request gets 403 <c>{"code":4,"message":"Forbidden"}</c>. Null accepts every request.
    /// </summary>
    public Func<EngineRequest, ValueTask<bool>>? AllowRequest { get; set; }

    /// <summary>
    /// The granularity of the one scan that sends pings and expires sessions. Null picks a tenth of the
    /// shorter of <see cref="PingInterval"/> and <see cref="PingTimeout"/>, between 5 ms and 250 ms.
    /// Expired sessions are also detected exactly when their next request arrives.
    /// </summary>
    public TimeSpan? TimerResolution { get; set; }

    /// <summary>
    /// Refusal log lines (bad requests, invalid packets, refused connects, tokens and channel requests,
    /// on every protocol of the server) are written at most once per kind in this time, with a count of
    /// the ones left out (<see cref="Logging.LogThrottle"/>). Zero logs every refusal. Default 10 s.
    /// </summary>
    public TimeSpan RefusalLogInterval { get; set; } = Logging.LogThrottle.DefaultInterval;

    /// <summary>
    /// WebSocket compression (permessage-deflate), engine.io's <c>perMessageDeflate</c>. Off by default,
    /// as in Node (docs/engine.md).
    /// </summary>
    public PerMessageDeflateOptions PerMessageDeflate { get; } = new();

    /// <summary>
    /// gzip / deflate compression of long-polling responses, engine.io's <c>httpCompression</c>. On by
    /// default with a threshold of 1024 bytes, as in Node (docs/engine.md).
    /// </summary>
    public HttpCompressionOptions HttpCompression { get; } = new();

    internal void Validate()
    {
        PerMessageDeflate.Validate(nameof(PerMessageDeflate));
        HttpCompression.Validate();
    }

    internal TimeSpan EffectiveTimerResolution =>
        TimerResolution ?? TimeSpan.FromMilliseconds(Math.Clamp(Math.Min(PingInterval.TotalMilliseconds, PingTimeout.TotalMilliseconds) / 10, 5, 250));
}
