namespace Switchboard.Protocols.Plain;

/// <summary>
/// Why the server ends a connection: the <c>code</c> of the <c>close</c> frame sent first, the WebSocket
/// close status that follows, and whether the client should reconnect (the table in
/// docs/protocols/websocket.md). Statuses 4000–4499 mean "reconnect", 4500–4999 "do not".
/// </summary>
public sealed class PlainCloseReason
{
    private PlainCloseReason(string code, int status, bool reconnect, bool notifies = true)
    {
        Code = code;
        Status = status;
        Reconnect = reconnect;
        Notifies = notifies;
    }

    /// <summary>The client closed; the server answers the close handshake and sends nothing else.</summary>
    public static PlainCloseReason ClientClosed { get; } = new("client_closed", 1000, false, notifies: false);

    /// <summary>The server is shutting down; reconnect (to it or another node) and resume.</summary>
    public static PlainCloseReason Shutdown { get; } = new("shutdown", 1001, true);

    /// <summary>Too many invalid frames in a short time.</summary>
    public static PlainCloseReason BadRequest { get; } = new("bad_request", 1008, false);

    /// <summary>A message over the server's size limit.</summary>
    public static PlainCloseReason TooLarge { get; } = new("too_large", 1009, false);

    /// <summary>The server failed unexpectedly.</summary>
    public static PlainCloseReason Internal { get; } = new("internal", 1011, true);

    /// <summary>The client did not read its messages fast enough; reconnect and resume from the last offsets seen.</summary>
    public static PlainCloseReason SlowConsumer { get; } = new("slow_consumer", 4001, true);

    /// <summary>Disconnected by the server's application or HTTP API.</summary>
    public static PlainCloseReason Disconnected { get; } = new("disconnected", 4500, false);

    /// <summary>The <c>code</c> field of the close frame, and the WebSocket close description.</summary>
    public string Code { get; }

    /// <summary>The WebSocket close status code.</summary>
    public int Status { get; }

    /// <summary>Whether the client should reconnect (with backoff) and resume.</summary>
    public bool Reconnect { get; }

    /// <summary>Whether a <c>close</c> frame is sent before the WebSocket close.</summary>
    public bool Notifies { get; }

    public override string ToString() => Code;
}
