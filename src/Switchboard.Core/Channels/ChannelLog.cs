using Microsoft.Extensions.Logging;

namespace Switchboard.Channels;

/// <summary>What a channel hub logs; written with the Socket.IO server's logger, so the category and event ids are those it always had.</summary>
internal sealed partial class ChannelLog(ILogger logger)
{
    [LoggerMessage(110, LogLevel.Warning, "Channel {Channel} of {Namespace}: {Count} publications this node missed live were delivered from history")]
    public partial void GapFilled(string @namespace, string channel, int count);

    [LoggerMessage(114, LogLevel.Warning, "Channel {Channel} of {Namespace}: its history changed under live streams (a new epoch, or offsets that went back); {Count} subscribers were told of a discontinuity")]
    public partial void EpochChanged(string @namespace, string channel, int count);

    [LoggerMessage(132, LogLevel.Warning, "Namespace {Namespace}: positions went back under this node (a Redis server promoted without the last writes); sequence epoch {SequenceEpoch} and channels {Channels} start new epochs")]
    public partial void PositionsRewound(string @namespace, string sequenceEpoch, string channels);

    [LoggerMessage(133, LogLevel.Warning, "Namespace {Namespace}: the epochs that went back could not be replaced ({Reason}); cursors into them may continue wrongly until they are")]
    public partial void RewoundNotRestarted(string @namespace, string reason);

    [LoggerMessage(134, LogLevel.Error, "Namespace {Namespace}: publication {Seq} is stored, but handing it to {Recipient} failed; the other recipients got it")]
    public partial void DeliveryFailed(string @namespace, long seq, string recipient, Exception exception);

    [LoggerMessage(111, LogLevel.Error, "Channel {Channel} of {Namespace}: publications this node missed live could not be read from history: {Reason}")]
    public partial void GapNotFilled(string @namespace, string channel, string reason);
}
