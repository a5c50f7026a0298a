namespace Switchboard.Protocols.EngineIO;

/// <summary>The error codes an Engine.IO server answers with, in <c>{"code":N,"message":"..."}</c> bodies.</summary>
public enum EngineError
{
    /// <summary>The <c>transport</c> query parameter names no transport this server offers.</summary>
    UnknownTransport = 0,
    /// <summary>The <c>sid</c> names no open session.</summary>
    UnknownSid = 1,
    /// <summary>A handshake with a method other than GET.</summary>
    BadHandshakeMethod = 2,
    /// <summary>A request that is malformed, or invalid for its session's state.</summary>
    BadRequest = 3,
    /// <summary>The request was refused by the application (<c>AllowRequest</c>, origin or limits).</summary>
    Forbidden = 4,
    /// <summary>The <c>EIO</c> query parameter names a protocol revision this server does not serve.</summary>
    UnsupportedProtocolVersion = 5,
}

/// <summary>The messages of <see cref="EngineError"/>, as Node's engine.io writes them.</summary>
public static class EngineErrors
{
    /// <summary>The <c>message</c> of an error body, e.g. <c>Session ID unknown</c>.</summary>
    public static string Message(EngineError error) => error switch
    {
        EngineError.UnknownTransport => "Transport unknown",
        EngineError.UnknownSid => "Session ID unknown",
        EngineError.BadHandshakeMethod => "Bad handshake method",
        EngineError.BadRequest => "Bad request",
        EngineError.Forbidden => "Forbidden",
        EngineError.UnsupportedProtocolVersion => "Unsupported protocol version",
        _ => "Bad request",
    };
}
