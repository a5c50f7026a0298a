using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Switchboard.Channels;

/// <summary>
/// Channel history in this process's memory: a bounded ring of entries per channel (by count, bytes and age), all
/// of them within a memory budget and a number of channels (docs/protection.md). Its epochs are new with
/// every process, so a client that resumes across a restart is told its position is gone.
/// </summary>
public sealed partial class InMemoryChannelStore : IChannelStore, IDisposable
{
    private readonly ConcurrentDictionary<(string Nsp, string Channel), ChannelLog> _logs = new();
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;
    private readonly long _maxMemory;
    private readonly int _maxChannels;

    /// <param name="time">The clock of ages and sweeps.</param>
    /// <param name="options">
    /// <see cref="ChannelOptions.MaxMemory"/> and <see cref="ChannelOptions.MaxChannels"/>; null takes
    /// their defaults (256 MiB, 100 000 channels).
    /// </param>
    /// <param name="logger">Where evictions are reported, at most once per 10 s per kind.</param>
    public InMemoryChannelStore(TimeProvider? time = null, ChannelOptions? options = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        _time = time ?? TimeProvider.System;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        options ??= new ChannelOptions();
        _maxMemory = options.MaxMemory;
        _maxChannels = options.MaxChannels;
        _sweeper = _time.CreateTimer(static s => ((InMemoryChannelStore)s!).Sweep(), this, SweepPeriod, SweepPeriod);
    }

    /// <summary>How often channels are swept, and how long an untouched channel with no history left is kept.</summary>
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromMinutes(1);

    /// <summary>How many channels have a log in memory.</summary>
    public int ChannelCount => _logs.Count;

    /// <summary>
    /// Trims every channel by age and forgets channels whose history is empty and that nobody touched
    /// for a sweep period, so one-off channels do not accumulate. A forgotten channel comes back with a
    /// new epoch: a position in the old one is then answered with a discontinuity, never a wrong replay.
    /// </summary>
    public void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, log) in _logs)
        {
            lock (log)
            {
                Release(log.Trim(now));
                if (log.Entries.Count > 0 || now - log.LastTouched < SweepPeriod)
                {
                    continue;
                }
                log.Forgotten = true;
            }
            Forget(key, log);
        }
    }

    /// <summary>Stops the periodic sweep of expired publications.</summary>
    public void Dispose() => _sweeper.Dispose();

    private ChannelLog Log(string nsp, string channel)
    {
        while (true)
        {
            if (!_logs.TryGetValue((nsp, channel), out var log))
            {
                var fresh = new ChannelLog();
                log = _logs.GetOrAdd((nsp, channel), fresh);
                if (ReferenceEquals(log, fresh) && Interlocked.Increment(ref _channelCount) > _maxChannels && _maxChannels > 0)
                {
                    ForgetLeastRecentlyPublished(log);
                }
            }
            lock (log)
            {
                if (!log.Forgotten)
                {
                    log.LastTouched = _time.GetUtcNow();
                    return log;
                }
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask<StreamPosition> AppendAsync(string nsp, string channel, Publication publication, HistoryPolicy policy, CancellationToken cancellationToken = default)
    {
        var log = Log(nsp, channel);
        StreamPosition position;
        lock (log)
        {
            log.Policy = policy;
            var entry = new ChannelEntry(channel, ++log.Top, log.Epoch, publication);
            var size = SizeOf(publication);
            log.Entries.Add(entry);
            log.Bytes += size;
            log.LastAppended = _time.GetTimestamp();
            Interlocked.Add(ref _bytes, size);
            Release(log.Trim(_time.GetUtcNow()));
            position = entry.Position;
        }
        if (_maxMemory > 0 && Volatile.Read(ref _bytes) > _maxMemory)
        {
            EvictOldest();
        }
        return ValueTask.FromResult(position);
    }

    /// <inheritdoc/>
    public ValueTask<HistoryRead> ReadAsync(string nsp, string channel, StreamPosition? since, int limit, CancellationToken cancellationToken = default)
    {
        var log = Log(nsp, channel);
        lock (log)
        {
            Release(log.Trim(_time.GetUtcNow()));
            var top = new StreamPosition(log.Top, log.Epoch);
            var kept = log.Entries.Count;
            if (since is not { } from)
            {
                var latest = Math.Min(kept, Math.Max(0, limit));
                return ValueTask.FromResult(new HistoryRead(top, true, log.Entries.Copy(kept - latest, latest)));
            }
            var firstKept = kept > 0 ? log.Entries.Oldest.Offset : log.Top + 1;
            if (from.Epoch != log.Epoch || from.Offset > log.Top || from.Offset + 1 < firstKept)
            {
                return ValueTask.FromResult(new HistoryRead(top, false, []));
            }
            // Offsets are consecutive: the entry after the position is at a computed index, no scan.
            var start = (int)Math.Max(0, from.Offset + 1 - firstKept);
            var count = (int)Math.Min(kept - start, Math.Max(0, limit));
            return ValueTask.FromResult(new HistoryRead(top, true, log.Entries.Copy(start, count)));
        }
    }

    /// <inheritdoc/>
    public ValueTask<HistoryRead> ReadAfterSeqAsync(string nsp, string channel, long seq, CancellationToken cancellationToken = default)
    {
        var log = Log(nsp, channel);
        lock (log)
        {
            Release(log.Trim(_time.GetUtcNow()));
            var top = new StreamPosition(log.Top, log.Epoch);
            if (log.TrimmedMaxSeq > seq)
            {
                return ValueTask.FromResult(new HistoryRead(top, false, []));
            }
            // Socket.IO recovery only (a reconnect, not a poll): a scan is fine here, and makes no assumption
            // about the order of sequence numbers within one channel.
            var entries = new List<ChannelEntry>();
            for (var i = 0; i < log.Entries.Count; i++)
            {
                if (log.Entries[i].Publication.Seq > seq)
                {
                    entries.Add(log.Entries[i]);
                }
            }
            return ValueTask.FromResult(new HistoryRead(top, true, entries));
        }
    }

    /// <inheritdoc/>
    public ValueTask<StreamPosition> GetPositionAsync(string nsp, string channel, CancellationToken cancellationToken = default)
    {
        var log = Log(nsp, channel);
        lock (log)
        {
            return ValueTask.FromResult(new StreamPosition(log.Top, log.Epoch));
        }
    }

    internal static string NewEpoch()
    {
        Span<byte> bytes = stackalloc byte[6];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    private sealed class ChannelLog
    {
        public readonly string Epoch = NewEpoch();
        public readonly HistoryRing Entries = new();
        public long Top;
        public long TrimmedMaxSeq;
        public long Bytes;
        public long LastAppended;
        public HistoryPolicy Policy = new();
        public DateTimeOffset LastTouched;
        public bool Forgotten;

        /// <summary>Drops what the policy no longer keeps; returns the bytes freed.</summary>
        public long Trim(DateTimeOffset now)
        {
            var oldest = now - Policy.Ttl;
            var freed = 0L;
            while (Entries.Count > 0 && (Entries.Count > Policy.Size || (Policy.MaxBytes > 0 && Bytes > Policy.MaxBytes) || Entries.Oldest.Publication.Time < oldest))
            {
                freed += DropOldest();
            }
            return freed;
        }

        /// <summary>Drops the oldest publication; a position before it is then answered with a discontinuity.</summary>
        public long DropOldest()
        {
            var entry = Entries.RemoveOldest();
            TrimmedMaxSeq = Math.Max(TrimmedMaxSeq, entry.Publication.Seq);
            var size = SizeOf(entry.Publication);
            Bytes -= size;
            return size;
        }
    }
}
