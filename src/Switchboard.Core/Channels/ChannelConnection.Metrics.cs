using Switchboard.Diagnostics;
using Switchboard.Protocols;

namespace Switchboard.Channels;

public abstract partial class ChannelConnection
{
    private ConnectionTags? _tags;
    private long _openedAt;
    private int _counted;
    private DisconnectCode? _closeCode;

    // What was written, while the sent traffic is observed; moved to the hub's totals when the connection
    // leaves it (_retired), after which a write (a long-poll's answer) goes there directly.
    private SentTraffic _sent;
    private int _retired;

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
    protected void CountSent(long messages, long bytes)
    {
        if (!Hub.Metrics.TrafficObserved)
        {
            return;
        }
        if (Volatile.Read(ref _retired) != 0)
        {
            Hub.CountRetiredSent(Tags, messages, bytes);
        }
        else
        {
            _sent.Add(messages, bytes);
        }
    }

    internal void ObserveSent(TrafficObservation traffic) => traffic.Add(Tags, _sent);

    /// <summary>The connection leaves the hub (under its traffic lock): returns its counts, and later writes go to the hub.</summary>
    internal (ConnectionTags Tags, SentTraffic Sent) RetireSent()
    {
        Volatile.Write(ref _retired, 1);
        return (Tags, _sent.Read());
    }

    /// <summary>The transport received <paramref name="messages"/> messages of <paramref name="bytes"/> bytes in all.</summary>
    protected void CountReceived(long messages, long bytes) => Hub.Metrics.Received(Tags, messages, bytes);
}
