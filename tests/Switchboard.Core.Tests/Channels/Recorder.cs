using Switchboard.Channels;

namespace Switchboard.Core.Tests.Channels;

/// <summary>A channel subscriber that keeps what it is handed, safe to read while publishers run.</summary>
internal sealed class Recorder(string id) : IChannelSubscriber
{
    private readonly List<ChannelEntry> _entries = [];
    private readonly List<(string, StreamPosition)> _discontinuities = [];
    private readonly HashSet<long> _seqs = [];

    public string ConnectionId => id;

    public ChannelEntry[] Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public (string Channel, StreamPosition Top)[] Discontinuities
    {
        get
        {
            lock (_entries)
            {
                return [.. _discontinuities];
            }
        }
    }

    /// <summary>Whether a publication with this sequence number was handed to it.</summary>
    public bool Has(long seq)
    {
        lock (_entries)
        {
            return _seqs.Contains(seq);
        }
    }

    public void Deliver(in ChannelEntry entry)
    {
        lock (_entries)
        {
            _entries.Add(entry);
            _seqs.Add(entry.Publication.Seq);
        }
    }

    public void Discontinuity(string channel, StreamPosition top)
    {
        lock (_entries)
        {
            _discontinuities.Add((channel, top));
        }
    }
}
