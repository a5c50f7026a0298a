namespace Switchboard.Protocols.SocketIO;

/// <summary>MessagePack input that is well-formed but not a Socket.IO value or packet, or nests too deeply.</summary>
public sealed class MsgPackFormatException(string message, bool tooDeep = false) : Exception(message)
{
    /// <summary>The input nests deeper than <see cref="JsonLimits.MaxDepth"/>.</summary>
    public bool TooDeep { get; } = tooDeep;
}
