namespace Switchboard.Protocols.EngineIO;

/// <summary>Engine.IO v4 packet types; the value is the digit written on the wire.</summary>
public enum EnginePacketType : byte
{
    /// <summary>Opens a session (server to client, with the handshake JSON).</summary>
    Open = 0,
    /// <summary>Closes the session.</summary>
    Close = 1,
    /// <summary>A heartbeat ping (server to client in v4; <c>2probe</c> during an upgrade).</summary>
    Ping = 2,
    /// <summary>The answer to a ping (<c>3probe</c> during an upgrade).</summary>
    Pong = 3,
    /// <summary>Application data (a Socket.IO packet).</summary>
    Message = 4,
    /// <summary>Completes an upgrade to WebSocket.</summary>
    Upgrade = 5,
    /// <summary>Does nothing; releases a held poll during an upgrade.</summary>
    Noop = 6,
}
