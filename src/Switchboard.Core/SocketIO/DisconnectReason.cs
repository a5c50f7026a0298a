using Switchboard.Protocols;

namespace Switchboard.SocketIO;

/// <summary>
/// Why a socket left its namespace, as socket.io tells its users. <see cref="DisconnectReasons.ToWireName"/>
/// gives the string the Node.js server reports for each. Inside the server every close carries a
/// <see cref="DisconnectCode"/>; a socket's reason is derived from it when the socket leaves
/// (docs/disconnect-reasons.md is the one table of them all).
/// </summary>
public enum DisconnectReason
{
    /// <summary>The server disconnected the socket (<c>socket.Disconnect()</c>). The client does not reconnect.</summary>
    ServerNamespaceDisconnect,

    /// <summary>The client disconnected the socket (<c>socket.disconnect()</c>, a DISCONNECT packet).</summary>
    ClientNamespaceDisconnect,

    /// <summary>The server is shutting down.</summary>
    ServerShuttingDown,

    /// <summary>The client did not answer a ping within the ping timeout.</summary>
    PingTimeout,

    /// <summary>The connection was closed (the client went away, or closed the Engine.IO session).</summary>
    TransportClose,

    /// <summary>The connection failed (I/O error, oversized message).</summary>
    TransportError,

    /// <summary>The client sent a packet that could not be parsed.</summary>
    ParseError,

    /// <summary>The server closed the underlying connection (<c>socket.Disconnect(close: true)</c> on this or another namespace).</summary>
    ForcedClose,

    /// <summary>
    /// The client did not read what was sent to it within its byte budget or the send time limit, and
    /// the server dropped the connection (Switchboard's own; Node's socket.io has no such limit). The
    /// client reconnects by itself, and recovers what it missed when connection state recovery is on.
    /// </summary>
    SlowConsumer,
}

/// <summary>The wire names of <see cref="DisconnectReason"/>.</summary>
public static class DisconnectReasons
{
    /// <summary>The reason as socket.io names it, e.g. <c>transport close</c>.</summary>
    public static string ToWireName(this DisconnectReason reason) => reason switch
    {
        DisconnectReason.ServerNamespaceDisconnect => "server namespace disconnect",
        DisconnectReason.ClientNamespaceDisconnect => "client namespace disconnect",
        DisconnectReason.ServerShuttingDown => "server shutting down",
        DisconnectReason.PingTimeout => "ping timeout",
        DisconnectReason.TransportClose => "transport close",
        DisconnectReason.TransportError => "transport error",
        DisconnectReason.ParseError => "parse error",
        DisconnectReason.ForcedClose => "forced close",
        DisconnectReason.SlowConsumer => "slow consumer",
        _ => "unknown",
    };

    /// <summary>Whether the official client reconnects by itself after this reason.</summary>
    public static bool ClientReconnects(this DisconnectReason reason) =>
        reason is not (DisconnectReason.ServerNamespaceDisconnect or DisconnectReason.ClientNamespaceDisconnect);

    /// <summary>
    /// The reason's row in the one table of disconnect codes (docs/disconnect-reasons.md): whether the
    /// client should reconnect and may recover. Socket.IO sends its own reason strings, not these codes.
    /// </summary>
    public static DisconnectCode ToCode(this DisconnectReason reason) => reason switch
    {
        DisconnectReason.ServerNamespaceDisconnect or DisconnectReason.ForcedClose => DisconnectCode.Disconnected,
        DisconnectReason.ClientNamespaceDisconnect or DisconnectReason.TransportClose => DisconnectCode.ClientClosed,
        DisconnectReason.ServerShuttingDown => DisconnectCode.Shutdown,
        DisconnectReason.PingTimeout => DisconnectCode.PingTimeout,
        DisconnectReason.TransportError => DisconnectCode.TooLarge,
        DisconnectReason.ParseError => DisconnectCode.BadRequest,
        DisconnectReason.SlowConsumer => DisconnectCode.SlowConsumer,
        _ => DisconnectCode.Internal,
    };

    /// <summary>
    /// The reason socket.io gives a socket that left with <paramref name="code"/>: derived here, at the
    /// edge, from the one table of disconnect codes. <paramref name="connectionClosed"/> tells a socket
    /// whose whole connection ended from one that left its namespace while the connection stays (a
    /// DISCONNECT packet either way).
    /// </summary>
    internal static DisconnectReason FromCode(DisconnectCode code, bool connectionClosed)
    {
        if (!connectionClosed)
        {
            return code == DisconnectCode.ClientClosed ? DisconnectReason.ClientNamespaceDisconnect : DisconnectReason.ServerNamespaceDisconnect;
        }
        return code == DisconnectCode.ClientClosed ? DisconnectReason.TransportClose
            : code == DisconnectCode.Shutdown ? DisconnectReason.ServerShuttingDown
            : code == DisconnectCode.PingTimeout ? DisconnectReason.PingTimeout
            : code == DisconnectCode.BadRequest ? DisconnectReason.ParseError
            : code == DisconnectCode.TooLarge ? DisconnectReason.TransportError
            : code == DisconnectCode.SlowConsumer ? DisconnectReason.SlowConsumer
            // The server closed the connection: the application, a connect timeout, a Socket.IO packet
            // that could not be parsed (as Node's conn.close()), an internal failure, a rate limit.
            : DisconnectReason.ForcedClose;
    }
}
