using Switchboard.Diagnostics;
using Switchboard.Protocols;

namespace Switchboard.Channels;

public abstract partial class ChannelConnection
{
    private ConnectionTags? _tags;
    private long _openedAt;
    private int _counted;
    private DisconnectCode? _closeCode;

    private ConnectionTags Tags => _tags ??= Hub.TagsFor(Protocol);

    private void CountOpened()
    {
        _openedAt = Hub.Time.GetTimestamp();
        _counted = 1;
        Hub.Metrics.Opened(Tags);
    }

    /// <summary>Once, when the transport ends: the code the server closed with, or the client's leaving.</summary>
    private void CountClosed()
    {
        if (Interlocked.Exchange(ref _counted, 0) == 1)
        {
            Hub.Metrics.Closed(Tags, _openedAt, Hub.Time, _closeCode ?? DisconnectCode.ClientClosed);
        }
    }

    /// <summary>The transport wrote <paramref name="messages"/> messages of <paramref name="bytes"/> bytes in all (once per flush or answer).</summary>
    protected void CountSent(long messages, long bytes) => Hub.Metrics.Sent(Tags, messages, bytes);

    /// <summary>The transport received <paramref name="messages"/> messages of <paramref name="bytes"/> bytes in all.</summary>
    protected void CountReceived(long messages, long bytes) => Hub.Metrics.Received(Tags, messages, bytes);
}
