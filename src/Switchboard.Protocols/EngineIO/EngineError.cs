namespace Switchboard.Protocols.EngineIO;

/// <summary>The error codes an Engine.IO server answers with, in <c>{"code":N,"message":"..."}</c> bodies.</summary>
public enum EngineError
{
    UnknownTransport = 0,
    UnknownSid = 1,
    BadHandshakeMethod = 2,
    BadRequest = 3,
    Forbidden = 4,
    UnsupportedProtocolVersion = 5,
}

public static class EngineErrors
{
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
