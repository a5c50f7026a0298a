using Switchboard.Fuzz.Targets;

namespace Switchboard.Fuzz;

/// <summary>One fuzz target: runs a parser on the input; returning is a pass, any exception is a crash.</summary>
internal delegate void FuzzTarget(ReadOnlySpan<byte> input);

/// <summary>Every target by its command-line name: one per parser that reads client bytes.</summary>
internal static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, FuzzTarget> All = new Dictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        ["engine-payload"] = EnginePayloadTarget.Run,
        ["engine-v3-payload"] = EngineV3PayloadTarget.Run,
        ["socket-packet"] = SocketPacketTarget.Run,
        ["msgpack-packet"] = MsgPackPacketTarget.Run,
        ["plain-request"] = PlainRequestTarget.Run,
        ["channel-cursor"] = ChannelCursorTarget.Run,
        ["sse-query"] = ChannelQueryTargets.RunServerSentEvents,
        ["longpoll-query"] = ChannelQueryTargets.RunLongPoll,
        ["jwt-claims"] = JwtClaimsTarget.Run,
    };
}

/// <summary>A property of the parser's output that did not hold: a crash like any unexpected exception.</summary>
internal sealed class FuzzCheckException(string message) : Exception(message)
{
    public static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzCheckException(what);
        }
    }
}
