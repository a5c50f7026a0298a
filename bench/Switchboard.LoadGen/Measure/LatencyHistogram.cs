using System.Numerics;

namespace Switchboard.LoadGen.Measure;

/// <summary>
/// A log-linear histogram of nanosecond latencies (64 sub-buckets per power of two: under 1.6% error),
/// lock-free to record into from any thread, mergeable across rounds.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 6;
    private const int Sub = 1 << SubBits;
    private const int Buckets = 64 * Sub;

    private readonly long[] _counts = new long[Buckets];
    private long _count;
    private long _max;

    public long Count => Volatile.Read(ref _count);

    public long MaxNanoseconds => Volatile.Read(ref _max);

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0)
        {
            nanoseconds = 0;
        }
        Interlocked.Increment(ref _counts[Index(nanoseconds)]);
        Interlocked.Increment(ref _count);
        var max = Volatile.Read(ref _max);
        while (nanoseconds > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, nanoseconds, max);
            if (seen == max)
            {
                break;
            }
            max = seen;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < Buckets; i++)
        {
            _counts[i] += other._counts[i];
        }
        _count += other._count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The latency at quantile <paramref name="q"/> (0..1), in nanoseconds; 0 when empty.</summary>
    public double Quantile(double q)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }
        var rank = (long)Math.Ceiling(q * total);
        rank = Math.Clamp(rank, 1, total);
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(Middle(i), _max);
            }
        }
        return _max;
    }

    /// <summary>(latency ns at the bucket's upper edge, fraction at or below it) for every non-empty bucket.</summary>
    public IEnumerable<(double Nanoseconds, double Fraction)> Cdf()
    {
        var total = Count;
        long seen = 0;
        for (var i = 0; i < Buckets && total > 0; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }
            seen += _counts[i];
            yield return (Math.Min(Upper(i), _max), seen / (double)total);
        }
    }

    public long[] Snapshot() => (long[])_counts.Clone();

    public static LatencyHistogram FromSnapshot(long[] counts, long max)
    {
        var h = new LatencyHistogram();
        Array.Copy(counts, h._counts, Math.Min(counts.Length, Buckets));
        h._count = counts.Sum();
        h._max = max;
        return h;
    }

    private static int Index(long v)
    {
        if (v < Sub * 2)
        {
            return (int)v;
        }
        var msb = 63 - BitOperations.LeadingZeroCount((ulong)v);
        var shift = msb - SubBits;
        return (shift + 1) * Sub + (int)(v >> shift) - Sub;
    }

    private static double Lower(int index)
    {
        if (index < Sub * 2)
        {
            return index;
        }
        var shift = index / Sub - 1;
        var m = index % Sub + Sub;
        return (double)m * (1L << shift);
    }

    private static double Upper(int index) => index < Sub * 2 ? index + 1 : Lower(index) + (1L << (index / Sub - 1));

    private static double Middle(int index) => (Lower(index) + Upper(index)) / 2;
}
