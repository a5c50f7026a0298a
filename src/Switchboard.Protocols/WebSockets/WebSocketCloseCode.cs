namespace Switchboard.Protocols.WebSockets;

/// <summary>The close codes of RFC 6455 §7.4.1 that the framing itself sends.</summary>
public static class WebSocketCloseCode
{
    /// <summary>A normal close.</summary>
    public const ushort NormalClosure = 1000;

    /// <summary>The peer broke the framing rules.</summary>
    public const ushort ProtocolError = 1002;

    /// <summary>A close frame without a code; never sent on the wire.</summary>
    public const ushort NoStatus = 1005;

    /// <summary>A text message (or a close reason) that is not valid UTF-8.</summary>
    public const ushort InvalidPayload = 1007;

    /// <summary>A message larger than the receiver takes.</summary>
    public const ushort MessageTooBig = 1009;

    /// <summary>
    /// Whether a peer may send <paramref name="code"/> in a close frame: the codes RFC 6455 and the IANA
    /// registry define for use on the wire (1000–1003, 1007–1014), and 3000–4999 (registered and private).
    /// </summary>
    public static bool IsValidOnWire(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);
}
