using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Channels;

namespace Switchboard.Core.Tests.Channels;

/// <summary>
/// Reads by position in the in-memory store, which finds the entry after a position by index arithmetic
/// in a circular array: every position of a log whose array has wrapped and grown, at its edges, with
/// limits, and after trimming by size, age and the memory budget.
/// </summary>
public sealed class InMemoryChannelStoreReadTests : IDisposable
{
    private const string Nsp = "/";
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private InMemoryChannelStore? _store;
    private long _seq;

    public void Dispose() => _store?.Dispose();

    private InMemoryChannelStore Create(long maxMemory = 0) =>
        _store = new InMemoryChannelStore(_clock, new ChannelOptions { MaxMemory = maxMemory, MaxChannels = 0 });

    private Publication Publish(int bytes = 10)
    {
        var seq = ++_seq;
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        return Publication.FromStored(seq, "m", Encoding.UTF8.GetBytes($"[\"{new string('x', bytes)}\"]"), [], null, _clock.GetUtcNow());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    public async Task Every_position_of_a_wrapped_history_reads_exactly_the_kept_entries_after_it(int size)
    {
        var store = Create();
        var policy = new HistoryPolicy { Size = size, Ttl = TimeSpan.FromHours(1) };
        // 37 appends through a window of `size`: the circular array's head wraps many times.
        StreamPosition top = default;
        for (var i = 0; i < 37; i++)
        {
            top = await store.AppendAsync(Nsp, "c", Publish(), policy);
        }
        var firstKept = 37 - size + 1;

        for (long offset = 0; offset <= 38; offset++)
        {
            foreach (var limit in new[] { 0, 1, 2, size, int.MaxValue })
            {
                var read = await store.ReadAsync(Nsp, "c", new StreamPosition(offset, top.Epoch), limit);

                Assert.Equal(top, read.Top);
                if (offset + 1 < firstKept || offset > 37)
                {
                    Assert.False(read.Continuous, $"offset {offset}");
                    Assert.Empty(read.Entries);
                    continue;
                }
                var expected = Enumerable.Range((int)offset + 1, 37 - (int)offset).Take(limit).Select(o => (long)o);
                Assert.True(read.Continuous, $"offset {offset}");
                Assert.Equal(expected, read.Entries.Select(e => e.Offset));
                Assert.All(read.Entries, e => Assert.Equal(e.Offset, e.Publication.Seq));
            }
        }
    }

    [Fact]
    public async Task Reading_the_latest_entries_of_a_wrapped_history_takes_the_newest_in_order()
    {
        var store = Create();
        var policy = new HistoryPolicy { Size = 5, Ttl = TimeSpan.FromHours(1) };
        for (var i = 0; i < 12; i++)
        {
            await store.AppendAsync(Nsp, "c", Publish(), policy);
        }

        var three = await store.ReadAsync(Nsp, "c", null, 3);
        var all = await store.ReadAsync(Nsp, "c", null, 100);
        var none = await store.ReadAsync(Nsp, "c", null, 0);

        Assert.Equal([10L, 11, 12], three.Entries.Select(e => e.Offset));
        Assert.Equal([8L, 9, 10, 11, 12], all.Entries.Select(e => e.Offset));
        Assert.Empty(none.Entries);
        Assert.True(none.Continuous);
    }

    [Fact]
    public async Task An_empty_channel_reads_continuous_from_zero_and_discontinuous_from_elsewhere()
    {
        var store = Create();
        var top = await store.GetPositionAsync(Nsp, "empty");

        var fromZero = await store.ReadAsync(Nsp, "empty", new StreamPosition(0, top.Epoch), 10);
        var ahead = await store.ReadAsync(Nsp, "empty", new StreamPosition(1, top.Epoch), 10);
        var otherEpoch = await store.ReadAsync(Nsp, "empty", new StreamPosition(0, "other"), 10);
        var negative = await store.ReadAsync(Nsp, "empty", new StreamPosition(-1, top.Epoch), 10);

        Assert.True(fromZero.Continuous);
        Assert.Empty(fromZero.Entries);
        Assert.False(ahead.Continuous);
        Assert.False(otherEpoch.Continuous);
        Assert.False(negative.Continuous);
        Assert.Empty(negative.Entries);
    }

    [Fact]
    public async Task After_everything_expired_only_the_top_continues_and_the_next_append_reads_alone()
    {
        var store = Create();
        var policy = new HistoryPolicy { Size = 4, Ttl = TimeSpan.FromSeconds(10) };
        StreamPosition top = default;
        for (var i = 0; i < 6; i++)
        {
            top = await store.AppendAsync(Nsp, "c", Publish(), policy);
        }
        _clock.Advance(TimeSpan.FromSeconds(11));

        var atTop = await store.ReadAsync(Nsp, "c", top, 10);
        var belowTop = await store.ReadAsync(Nsp, "c", new StreamPosition(top.Offset - 1, top.Epoch), 10);
        var next = await store.AppendAsync(Nsp, "c", Publish(), policy);
        var afterNext = await store.ReadAsync(Nsp, "c", top, 10);

        Assert.True(atTop.Continuous);
        Assert.Empty(atTop.Entries);
        Assert.False(belowTop.Continuous);
        Assert.Equal(7, next.Offset);
        Assert.True(afterNext.Continuous);
        Assert.Equal([7L], afterNext.Entries.Select(e => e.Offset));
    }

    [Fact]
    public async Task After_the_memory_budget_evicted_the_oldest_the_index_follows_the_new_oldest()
    {
        var entry = InMemoryChannelStore.EntryOverhead + 2 + 100 + 2;
        var store = Create(maxMemory: entry * 4);
        var roomy = new HistoryPolicy { Size = 1000, Ttl = TimeSpan.FromHours(1) };
        var positions = new List<StreamPosition>();
        for (var i = 0; i < 9; i++)
        {
            positions.Add(await store.AppendAsync(Nsp, "c", Publish(100), roomy));
        }
        var kept = (await store.ReadAsync(Nsp, "c", null, 100)).Entries.Select(e => e.Offset).ToArray();
        var firstKept = kept[0];

        var fromBeforeKept = await store.ReadAsync(Nsp, "c", positions[(int)firstKept - 3], 100);
        var fromEdge = await store.ReadAsync(Nsp, "c", positions[(int)firstKept - 2], 100);
        var fromMiddle = await store.ReadAsync(Nsp, "c", positions[7], 100);

        Assert.InRange(kept.Length, 1, 4);
        Assert.Equal(9, kept[^1]);
        Assert.Equal(Enumerable.Range((int)firstKept, kept.Length).Select(o => (long)o), kept);
        Assert.False(fromBeforeKept.Continuous);
        Assert.True(fromEdge.Continuous);
        Assert.Equal(kept, fromEdge.Entries.Select(e => e.Offset));
        Assert.Equal([9L], fromMiddle.Entries.Select(e => e.Offset));
    }
}
