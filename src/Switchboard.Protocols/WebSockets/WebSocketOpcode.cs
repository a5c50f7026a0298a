namespace Switchboard.Protocols.WebSockets;

/// <summary>The opcode of an RFC 6455 frame (§5.2). Others are reserved: a frame with one is a protocol error.</summary>
public enum WebSocketOpcode : byte
{
    /// <summary>The next fragment of a text or binary message.</summary>
    Continuation = 0x0,

    /// <summary>A text message (UTF-8), or its first fragment.</summary>
    Text = 0x1,

    /// <summary>A binary message, or its first fragment.</summary>
    Binary = 0x2,

    /// <summary>The close handshake.</summary>
    Close = 0x8,

    /// <summary>A ping, answered by a pong with the same payload.</summary>
    Ping = 0x9,

    /// <summary>A pong (an answer, or unsolicited).</summary>
    Pong = 0xA,
}
