namespace Switchboard.Client;

/// <summary>
/// Why a <see cref="ClientSocket"/> was disconnected: the reasons socket.io-client gives to its
/// <c>disconnect</c> event (<see cref="DisconnectReasons.ToWireString"/> returns its spelling).
/// </summary>
public enum DisconnectReason
{
    /// <summary>The server disconnected the socket (a DISCONNECT packet). No automatic reconnection.</summary>
    ServerDisconnect,

    /// <summary>The application called <see cref="ClientSocket.Disconnect"/>. No automatic reconnection.</summary>
    ClientDisconnect,

    /// <summary>No ping from the server within its ping interval plus ping timeout.</summary>
    PingTimeout,

    /// <summary>The connection was closed (by the server's close packet, or the WebSocket closed).</summary>
    TransportClose,

    /// <summary>The connection failed (an I/O error).</summary>
    TransportError,

    /// <summary>The server sent something that could not be parsed; the client closed the connection.</summary>
    ParseError,
}

/// <summary>Helpers for <see cref="DisconnectReason"/>.</summary>
public static class DisconnectReasons
{
    /// <summary>The reason as socket.io-client spells it (<c>"io server disconnect"</c>, <c>"ping timeout"</c>, ...).</summary>
    public static string ToWireString(this DisconnectReason reason) => reason switch
    {
        DisconnectReason.ServerDisconnect => "io server disconnect",
        DisconnectReason.ClientDisconnect => "io client disconnect",
        DisconnectReason.PingTimeout => "ping timeout",
        DisconnectReason.TransportClose => "transport close",
        DisconnectReason.TransportError => "transport error",
        DisconnectReason.ParseError => "parse error",
        _ => reason.ToString(),
    };

    /// <summary>Whether the client reconnects by itself after this reason (when reconnection is on).</summary>
    public static bool Reconnects(this DisconnectReason reason) =>
        reason is not (DisconnectReason.ServerDisconnect or DisconnectReason.ClientDisconnect);
}
