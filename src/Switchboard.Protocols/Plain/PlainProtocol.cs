namespace Switchboard.Protocols.Plain;

/// <summary>
/// The plain WebSocket channel protocol: JSON text frames any WebSocket client can speak, documented in
/// docs/protocols/websocket.md. This assembly holds its pure codec; the endpoint lives in
/// Switchboard.AspNetCore (<c>MapChannelWebSocket</c>).
/// </summary>
public static class PlainProtocol
{
    /// <summary>The protocol version this codec reads and writes (the <c>v</c> of the welcome frame).</summary>
    public const int Version = 1;

    /// <summary>The WebSocket subprotocol naming this version. Offering it is optional; offering only others is refused.</summary>
    public const string SubProtocol = "switchboard.v1";

    /// <summary>The event name of a publish that names none.</summary>
    public const string DefaultEvent = "message";
}

/// <summary>What a client asks for.</summary>
public enum PlainOp
{
    /// <summary>Subscribe to a channel, optionally from a position.</summary>
    Subscribe,
    /// <summary>Stop receiving a channel.</summary>
    Unsubscribe,
    /// <summary>Publish on a channel.</summary>
    Publish,
    /// <summary>Read a channel's history.</summary>
    History,
    /// <summary>Ask who is subscribed to a channel.</summary>
    Presence,
    /// <summary>An application-level ping, answered with a pong.</summary>
    Ping,
}

/// <summary>A position in a channel's stream as the client sends it: the offset of the last publication seen, and the epoch.</summary>
public readonly record struct PlainPosition(long Offset, string Epoch);

/// <summary>
/// One client request. <see cref="Id"/> and <see cref="Data"/> are slices of the received message (raw
/// JSON), valid only as long as that message's buffer; empty when absent.
/// </summary>
public readonly record struct PlainRequest(
    PlainOp Op,
    ReadOnlyMemory<byte> Id,
    string? Channel = null,
    PlainPosition? Since = null,
    string? Event = null,
    ReadOnlyMemory<byte> Data = default,
    int? Limit = null,
    bool Echo = true);
