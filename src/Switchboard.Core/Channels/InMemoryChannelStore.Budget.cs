using Microsoft.Extensions.Logging;

namespace Switchboard.Channels;

/// <summary>
/// The store's memory budget and channel cap (docs/protection.md, "History and store budget"). Both
/// evict in batches, down to <see cref="LowWater"/> of the limit, so that one scan over the channels
/// pays for many appends.
/// </summary>
public sealed partial class InMemoryChannelStore
{
    /// <summary>What an eviction brings the bytes or the channels down to, as a fraction of the limit.</summary>
    private const double LowWater = 0.9;

    /// <summary>What a publication counts for: its payload, and the entry and publication objects around it.</summary>
    internal const int EntryOverhead = 160;

    /// <summary>The shortest time between two log lines of one kind of eviction.</summary>
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger;
    private readonly object _evicting = new();
    private long _lastBudgetLog;
    private long _lastChannelLog;
    private long _bytes;
    private int _channelCount;
    private long _evictedPublications;
    private long _forgottenChannels;

    /// <summary>Bytes of history held, as counted against <see cref="ChannelOptions.MaxMemory"/>.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Publications dropped to keep the store within <see cref="ChannelOptions.MaxMemory"/>.</summary>
    public long EvictedPublications => Interlocked.Read(ref _evictedPublications);

    /// <summary>Channels forgotten to keep the store within <see cref="ChannelOptions.MaxChannels"/>.</summary>
    public long ForgottenChannels => Interlocked.Read(ref _forgottenChannels);

    /// <summary>
    /// The bytes a publication is counted for: the arguments as received (raw JSON and binary attachments),
    /// strings and byte arrays by length, anything else by its JSON encoding (made once and kept by the
    /// publication for the JSON protocols anyway), plus <see cref="EntryOverhead"/>. The encodings cached
    /// for each protocol are not counted: they may add up to a few times the payload.
    /// </summary>
    internal static int SizeOf(Publication publication)
    {
        long size = EntryOverhead + (publication.Event.Length * 2);
        foreach (var arg in publication.Arguments)
        {
            switch (arg)
            {
                case null:
                    break;
                case SocketArguments raw:
                    size += raw.Raw.Length;
                    foreach (var attachment in raw.Attachments)
                    {
                        size += attachment.Length;
                    }
                    break;
                case string text:
                    size += text.Length * 2;
                    break;
                case byte[] bytes:
                    size += bytes.Length;
                    break;
                case ReadOnlyMemory<byte> memory:
                    size += memory.Length;
                    break;
                default:
                    return (int)Math.Min(int.MaxValue, EntryOverhead + (publication.Event.Length * 2) + (long)publication.Data.Length);
            }
        }
        return (int)Math.Min(int.MaxValue, size);
    }

    private void Release(long freed)
    {
        if (freed != 0)
        {
            Interlocked.Add(ref _bytes, -freed);
        }
    }

    /// <summary>Removes a forgotten log (its Forgotten flag set under its lock) and gives back its bytes.</summary>
    private void Forget((string, string) key, ChannelLog log)
    {
        if (_logs.TryRemove(new KeyValuePair<(string, string), ChannelLog>(key, log)))
        {
            Interlocked.Decrement(ref _channelCount);
            long bytes;
            lock (log)
            {
                bytes = log.Bytes;
                log.Bytes = 0;
            }
            Release(bytes);
        }
    }

    /// <summary>
    /// Drops the oldest publications of the whole store, by publication time whatever their channel,
    /// until it holds <see cref="LowWater"/> of the budget. Each channel keeps its epoch; a position
    /// before what was dropped is answered with a discontinuity.
    /// </summary>
    private void EvictOldest()
    {
        if (!Monitor.TryEnter(_evicting))
        {
            return;
        }
        try
        {
            var target = (long)(_maxMemory * LowWater);
            var dropped = 0;
            var heads = new PriorityQueue<ChannelLog, DateTimeOffset>();
            foreach (var log in _logs.Values)
            {
                lock (log)
                {
                    if (log.Entries.Count > 0)
                    {
                        heads.Enqueue(log, log.Entries.Oldest.Publication.Time);
                    }
                }
            }
            while (Volatile.Read(ref _bytes) > target && heads.TryDequeue(out var log, out _))
            {
                lock (log)
                {
                    if (log.Entries.Count == 0)
                    {
                        continue;
                    }
                    Release(log.DropOldest());
                    Interlocked.Increment(ref _evictedPublications);
                    dropped++;
                    if (log.Entries.Count > 0)
                    {
                        heads.Enqueue(log, log.Entries.Oldest.Publication.Time);
                    }
                }
            }
            if (dropped > 0 && Due(ref _lastBudgetLog))
            {
                LogBudgetEviction(_logger, _maxMemory, dropped, EvictedPublications);
            }
        }
        finally
        {
            Monitor.Exit(_evicting);
        }
    }

    /// <summary>
    /// Past <see cref="ChannelOptions.MaxChannels"/>: forgets the least recently published channels (those
    /// never published first) down to <see cref="LowWater"/> of the cap, <paramref name="keep"/> aside.
    /// A forgotten channel comes back with a new epoch, so its subscribers' positions get a discontinuity.
    /// </summary>
    private void ForgetLeastRecentlyPublished(ChannelLog keep)
    {
        if (!Monitor.TryEnter(_evicting))
        {
            return;
        }
        try
        {
            var excess = Volatile.Read(ref _channelCount) - (int)(_maxChannels * LowWater);
            if (excess <= 0)
            {
                return;
            }
            // The 'excess' least recently published: a max-heap of that size over the last publication time.
            var oldest = new PriorityQueue<KeyValuePair<(string, string), ChannelLog>, long>(excess + 1, Comparer<long>.Create((a, b) => b.CompareTo(a)));
            foreach (var pair in _logs)
            {
                if (ReferenceEquals(pair.Value, keep))
                {
                    continue;
                }
                long published;
                lock (pair.Value)
                {
                    published = pair.Value.LastAppended;
                }
                oldest.Enqueue(pair, published);
                if (oldest.Count > excess)
                {
                    oldest.Dequeue();
                }
            }
            var forgotten = oldest.Count;
            while (oldest.TryDequeue(out var pair, out _))
            {
                lock (pair.Value)
                {
                    pair.Value.Forgotten = true;
                }
                Forget(pair.Key, pair.Value);
                Interlocked.Increment(ref _forgottenChannels);
            }
            if (forgotten > 0 && Due(ref _lastChannelLog))
            {
                LogChannelEviction(_logger, _maxChannels, forgotten, ForgottenChannels);
            }
        }
        finally
        {
            Monitor.Exit(_evicting);
        }
    }

    /// <summary>Whether a line of this kind may be written now (called under the eviction lock).</summary>
    private bool Due(ref long last)
    {
        var now = _time.GetTimestamp();
        if (last != 0 && _time.GetElapsedTime(last, now) < LogInterval)
        {
            return false;
        }
        last = now;
        return true;
    }

    [LoggerMessage(130, LogLevel.Warning, "In-memory channel store over its memory budget ({MaxMemory} bytes): {Count} oldest publications dropped ({Total} since the start)")]
    private static partial void LogBudgetEviction(ILogger logger, long maxMemory, int count, long total);

    [LoggerMessage(131, LogLevel.Warning, "In-memory channel store over its channel cap ({MaxChannels}): {Count} least recently published channels forgotten ({Total} since the start)")]
    private static partial void LogChannelEviction(ILogger logger, int maxChannels, int count, long total);
}
