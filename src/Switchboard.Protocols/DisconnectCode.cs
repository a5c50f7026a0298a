namespace Switchboard.Protocols;

/// <summary>
/// Why the server ends a connection, one table for every protocol (docs/disconnect-reasons.md): the
/// <see cref="Code"/> the channel protocols send (the plain WebSocket <c>close</c> frame, the SSE
/// <c>close</c> event), the WebSocket close status that follows (plain WebSocket and Engine.IO), whether
/// the client should reconnect, and whether it can resume where it was (its position, or its Socket.IO
/// session with connection state recovery). WebSocket statuses 4000–4499 mean "reconnect", 4500–4999
/// "do not", as in centrifuge. Socket.IO keeps its own reason strings on the wire (DisconnectReason in
/// Switchboard.Core maps onto this table).
/// </summary>
public sealed class DisconnectCode
{
    private DisconnectCode(string code, int status, bool reconnect, bool recover, bool notifies = true)
    {
        Code = code;
        Status = status;
        Reconnect = reconnect;
        Recover = recover;
        Notifies = notifies;
    }

    /// <summary>The client closed; the server answers the close handshake and sends nothing else.</summary>
    public static DisconnectCode ClientClosed { get; } = new("client_closed", 1000, reconnect: false, recover: true, notifies: false);

    /// <summary>The server is shutting down; reconnect (to it or another node) and resume.</summary>
    public static DisconnectCode Shutdown { get; } = new("shutdown", 1001, reconnect: true, recover: true);

    /// <summary>Too many invalid frames in a short time, or a packet that could not be parsed.</summary>
    public static DisconnectCode BadRequest { get; } = new("bad_request", 1008, reconnect: false, recover: false);

    /// <summary>A message over the server's size limit.</summary>
    public static DisconnectCode TooLarge { get; } = new("too_large", 1009, reconnect: false, recover: false);

    /// <summary>The server failed unexpectedly.</summary>
    public static DisconnectCode Internal { get; } = new("internal", 1011, reconnect: true, recover: true);

    /// <summary>
    /// The client did not read what it was sent: its queue passed its byte budget, or a write took longer
    /// than the send time limit. Reconnect and resume from the last position seen.
    /// </summary>
    public static DisconnectCode SlowConsumer { get; } = new("slow_consumer", 4001, reconnect: true, recover: true);

    /// <summary>The client did not answer the heartbeat in time (or the connection is gone without a close).</summary>
    public static DisconnectCode PingTimeout { get; } = new("ping_timeout", 4002, reconnect: true, recover: true, notifies: false);

    /// <summary>The client sent more than its rate allows for too long.</summary>
    public static DisconnectCode RateLimited { get; } = new("rate_limited", 4003, reconnect: true, recover: true);

    /// <summary>Disconnected by the server's application or HTTP API.</summary>
    public static DisconnectCode Disconnected { get; } = new("disconnected", 4500, reconnect: false, recover: false);

    /// <summary>Every code, for documentation and for readers of the codes.</summary>
    public static IReadOnlyList<DisconnectCode> All { get; } =
        [ClientClosed, Shutdown, BadRequest, TooLarge, Internal, SlowConsumer, PingTimeout, RateLimited, Disconnected];

    /// <summary>The <c>code</c> field of the protocols' close messages, and the WebSocket close description.</summary>
    public string Code { get; }

    /// <summary>The WebSocket close status code.</summary>
    public int Status { get; }

    /// <summary>Whether the client should reconnect (with backoff).</summary>
    public bool Reconnect { get; }

    /// <summary>Whether the client, reconnecting, can resume where it was: from its last position, or by Socket.IO connection state recovery.</summary>
    public bool Recover { get; }

    /// <summary>Whether a close message (plain WebSocket <c>close</c> frame, SSE <c>close</c> event) is sent before the connection ends.</summary>
    public bool Notifies { get; }

    /// <summary>The code named <paramref name="code"/>, or null.</summary>
    public static DisconnectCode? Find(string? code) => All.FirstOrDefault(c => c.Code == code);

    /// <summary>The code's wire name, e.g. <c>shutdown</c>.</summary>
    public override string ToString() => Code;
}
