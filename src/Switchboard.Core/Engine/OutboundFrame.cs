namespace Switchboard.Engine;

/// <summary>
/// One queued Engine.IO packet, already encoded. A text frame holds the complete packet (type digit
/// first); a binary frame holds the raw message bytes. A text frame may carry binary
/// <see cref="Attachments"/> that must follow it with nothing in between (a Socket.IO binary packet),
/// so they travel as one queue item. The bytes may be shared by many sessions and are never modified
/// after they are queued.
/// </summary>
public readonly record struct OutboundFrame(ReadOnlyMemory<byte> Data, bool IsBinary, ReadOnlyMemory<byte>[]? Attachments = null)
{
    /// <summary>Sent without permessage-deflate even over its threshold (socket.io's <c>compress(false)</c>).</summary>
    public bool NoCompress { get; init; }

    internal static readonly OutboundFrame Ping = new("2"u8.ToArray(), false);
    internal static readonly OutboundFrame Noop = new("6"u8.ToArray(), false);
    internal static readonly OutboundFrame ClosePacket = new("1"u8.ToArray(), false);

    /// <summary>A text packet (already holding its type digit), with the binary attachments that follow it.</summary>
    public static OutboundFrame Text(ReadOnlyMemory<byte> encodedPacket, ReadOnlyMemory<byte>[]? attachments = null) =>
        new(encodedPacket, false, attachments is { Length: > 0 } ? attachments : null);

    /// <summary>A binary message.</summary>
    public static OutboundFrame Binary(ReadOnlyMemory<byte> message) => new(message, true);
}
