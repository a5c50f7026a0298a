namespace Switchboard.Engine;

/// <summary>
/// Why an Engine.IO session ended, in the vocabulary sessions used before they closed with a
/// <see cref="Protocols.DisconnectCode"/>. Kept so code written against it still builds: each value maps
/// to its code (docs/disconnect-reasons.md).
/// </summary>
[Obsolete("Sessions close with a DisconnectCode: use EngineSession.Close(DisconnectCode) and EngineSession.CloseCode (docs/disconnect-reasons.md).")]
public enum EngineCloseReason
{
    /// <summary>The server closed the session (application request).</summary>
    ServerClose,

    /// <summary>The server is shutting down.</summary>
    ServerShutdown,

    /// <summary>The client sent a close packet.</summary>
    ClientClose,

    /// <summary>The transport went away (socket closed, network lost).</summary>
    TransportClose,

    /// <summary>The transport failed (I/O error, oversized message, protocol violation on the transport).</summary>
    TransportError,

    /// <summary>No pong arrived within the ping timeout.</summary>
    PingTimeout,

    /// <summary>The client sent something that could not be parsed.</summary>
    ParseError,

    /// <summary>
    /// The client did not read what was sent to it: its queue passed <see cref="EngineOptions.MaxQueuedBytes"/>,
    /// or a write took longer than <see cref="EngineOptions.SendTimeout"/>. The connection is dropped; the
    /// client may reconnect (and recover, with connection state recovery on).
    /// </summary>
    SlowConsumer,
}

/// <summary>The disconnect codes of <see cref="EngineCloseReason"/>, for its obsolete overloads.</summary>
[Obsolete("Only for the obsolete EngineCloseReason overloads.")]
internal static class EngineCloseReasons
{
    /// <summary>The reason's row in the one table of disconnect codes (docs/disconnect-reasons.md).</summary>
    public static Protocols.DisconnectCode ToCode(this EngineCloseReason reason) => reason switch
    {
        EngineCloseReason.ServerClose => Protocols.DisconnectCode.Disconnected,
        EngineCloseReason.ServerShutdown => Protocols.DisconnectCode.Shutdown,
        EngineCloseReason.ClientClose or EngineCloseReason.TransportClose => Protocols.DisconnectCode.ClientClosed,
        EngineCloseReason.TransportError => Protocols.DisconnectCode.TooLarge,
        EngineCloseReason.PingTimeout => Protocols.DisconnectCode.PingTimeout,
        EngineCloseReason.ParseError => Protocols.DisconnectCode.BadRequest,
        EngineCloseReason.SlowConsumer => Protocols.DisconnectCode.SlowConsumer,
        _ => Protocols.DisconnectCode.Internal,
    };

    /// <summary>The close reason a session closed with <paramref name="code"/> gets.</summary>
    public static EngineCloseReason FromCode(Protocols.DisconnectCode code) =>
        code == Protocols.DisconnectCode.SlowConsumer ? EngineCloseReason.SlowConsumer
        : code == Protocols.DisconnectCode.Shutdown ? EngineCloseReason.ServerShutdown
        : code == Protocols.DisconnectCode.PingTimeout ? EngineCloseReason.PingTimeout
        : code == Protocols.DisconnectCode.BadRequest ? EngineCloseReason.ParseError
        : code == Protocols.DisconnectCode.TooLarge ? EngineCloseReason.TransportError
        : code == Protocols.DisconnectCode.ClientClosed ? EngineCloseReason.ClientClose
        : EngineCloseReason.ServerClose;
}
