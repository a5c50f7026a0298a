namespace Switchboard.SocketIO;

/// <summary>
/// Limits that keep one client (or one address) from taking the server for itself (docs/protection.md).
/// Each has a safe default; 0 (or less) turns a limit off. Bound from <c>Switchboard:Limits</c> in the
/// standalone server. The connection limits are enforced by <c>ConnectionLimiter</c> (Switchboard.AspNetCore)
/// in front of every endpoint; the event limits by each Socket.IO connection.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>Open connections of every protocol together. Default 100 000.</summary>
    public int MaxConnections { get; set; } = 100_000;

    /// <summary>Open connections from one client address (an IPv6 /64 counts as one). Default 1 000.</summary>
    public int MaxConnectionsPerIp { get; set; } = 1_000;

    /// <summary>New connections (handshakes, streams, polls) per second from one address, sustained. Default 200.</summary>
    public double HandshakesPerSecondPerIp { get; set; } = 200;

    /// <summary>New connections from one address allowed at once before the rate applies. Default 400.</summary>
    public int HandshakeBurstPerIp { get; set; } = 400;

    /// <summary>Socket.IO packets per second one connection may send, sustained. Default 100.</summary>
    public double EventsPerSecond { get; set; } = 100;

    /// <summary>Socket.IO packets one connection may send at once before the rate applies. Default 200.</summary>
    public int EventBurst { get; set; } = 200;

    /// <summary>Bytes per second one Socket.IO connection may send, sustained (binary attachments included). Default 1 000 000.</summary>
    public double EventBytesPerSecond { get; set; } = 1_000_000;

    /// <summary>Bytes one Socket.IO connection may send at once; at least one full <c>MaxPayload</c>. Default 2 000 000.</summary>
    public long EventBytesBurst { get; set; } = 2_000_000;

    /// <summary>Channels one socket may subscribe to with the <c>subscribe</c> channel event. Default 128 (as the plain WebSocket protocol).</summary>
    public int MaxSubscriptionsPerSocket { get; set; } = 128;

    /// <summary>Rooms one socket may be in, its own id room included; <c>Join</c> past it throws. Default 1 000.</summary>
    public int MaxRoomsPerSocket { get; set; } = 1_000;
}
