using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Channels;

namespace Switchboard.Testing;

/// <summary>
/// What every <see cref="IChannelStore"/> must do, written once. A store's test class derives from it
/// and says how to make the store; it lives in Switchboard.Testing, and Switchboard.Core.Tests (in-memory store)
/// and Switchboard.Redis.Tests (Redis store) derive from it. It uses only the public API of Core.
/// Each test gets a new instance, so a new store and a new clock. A test moves the clock less than a
/// minute in all: a store may forget a channel that has no history left and that nobody touched for a
/// minute (<see cref="InMemoryChannelStore.SweepPeriod"/>), which each store's own tests cover.
/// </summary>
public abstract partial class ChannelStoreContract
{
    private const string Nsp = "/";
    private const string Channel = "room";

    /// <summary>A start time with whole microseconds: stores keep publication times to the microsecond.</summary>
    protected static readonly DateTimeOffset Start = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(6_789_120);

    private static readonly HistoryPolicy Roomy = new() { Size = 1000, Ttl = TimeSpan.FromHours(1) };

    private readonly Lazy<IChannelStore> _store;
    private long _seq;

    protected ChannelStoreContract()
    {
        // Made once even when the first use comes from several tasks at a time.
        _store = new Lazy<IChannelStore>(() => CreateStore(Clock), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    protected FakeTimeProvider Clock { get; } = new(Start);

    /// <summary>The store under test, made on first use with <see cref="Clock"/>.</summary>
    protected IChannelStore Store => _store.Value;

    /// <summary>Makes a new, empty store whose idea of "now" comes from <paramref name="time"/>.</summary>
    protected abstract IChannelStore CreateStore(TimeProvider time);

    [Fact]
    public async Task Offsets_start_at_one_and_increase_by_one()
    {
        var before = await Store.GetPositionAsync(Nsp, Channel);

        var positions = await AppendAsync(Channel, 5);

        Assert.Equal(0, before.Offset);
        Assert.Equal([1, 2, 3, 4, 5], positions.Select(p => p.Offset));
        Assert.All(positions, p => Assert.Equal(before.Epoch, p.Epoch));
    }

    [Fact]
    public async Task The_epoch_is_stable_across_calls()
    {
        var first = await Store.GetPositionAsync(Nsp, Channel);
        var again = await Store.GetPositionAsync(Nsp, Channel);
        var appended = await AppendAsync(Channel, 2);
        var read = await Store.ReadAsync(Nsp, Channel, null, 10);
        var readSince = await Store.ReadAsync(Nsp, Channel, new StreamPosition(0, first.Epoch), 10);
        var afterSeq = await Store.ReadAfterSeqAsync(Nsp, Channel, 0);
        var last = await Store.GetPositionAsync(Nsp, Channel);

        Assert.False(string.IsNullOrEmpty(first.Epoch));
        Assert.Equal(first, again);
        Assert.All(appended, p => Assert.Equal(first.Epoch, p.Epoch));
        Assert.Equal(new StreamPosition(2, first.Epoch), read.Top);
        Assert.All(read.Entries, e => Assert.Equal(first.Epoch, e.Epoch));
        Assert.True(readSince.Continuous);
        Assert.Equal(first.Epoch, afterSeq.Top.Epoch);
        Assert.Equal(new StreamPosition(2, first.Epoch), last);
    }

    [Fact]
    public async Task Reading_since_a_position_returns_exactly_the_later_entries_in_order()
    {
        var positions = await AppendAsync(Channel, 6);

        var read = await Store.ReadAsync(Nsp, Channel, positions[1], 100);

        Assert.True(read.Continuous);
        Assert.Equal(positions[5], read.Top);
        Assert.Equal([3, 4, 5, 6], read.Entries.Select(e => e.Offset));
        Assert.Equal([3, 4, 5, 6], read.Entries.Select(e => e.Publication.Seq));
        Assert.All(read.Entries, e => Assert.Equal(Channel, e.Channel));
    }

    [Fact]
    public async Task Reading_since_offset_zero_returns_every_entry()
    {
        var positions = await AppendAsync(Channel, 3);

        var read = await Store.ReadAsync(Nsp, Channel, new StreamPosition(0, positions[0].Epoch), 100);

        Assert.True(read.Continuous);
        Assert.Equal([1, 2, 3], read.Entries.Select(e => e.Offset));
    }

    [Fact]
    public async Task Reading_since_the_top_is_empty_and_continuous()
    {
        var positions = await AppendAsync(Channel, 3);

        var read = await Store.ReadAsync(Nsp, Channel, positions[2], 100);

        Assert.True(read.Continuous);
        Assert.Empty(read.Entries);
        Assert.Equal(positions[2], read.Top);
    }

    [Fact]
    public async Task Reading_from_another_epoch_is_a_discontinuity()
    {
        var positions = await AppendAsync(Channel, 3);

        var read = await Store.ReadAsync(Nsp, Channel, new StreamPosition(1, "another-epoch"), 100);

        Assert.False(read.Continuous);
        Assert.Empty(read.Entries);
        Assert.Equal(positions[2], read.Top);
    }

    [Fact]
    public async Task Reading_from_an_offset_ahead_of_the_top_is_a_discontinuity()
    {
        var positions = await AppendAsync(Channel, 3);

        var read = await Store.ReadAsync(Nsp, Channel, new StreamPosition(4, positions[0].Epoch), 100);

        Assert.False(read.Continuous);
        Assert.Empty(read.Entries);
        Assert.Equal(positions[2], read.Top);
    }

    [Fact]
    public async Task Reading_with_a_limit_returns_the_first_entries_after_the_position()
    {
        var positions = await AppendAsync(Channel, 6);

        var read = await Store.ReadAsync(Nsp, Channel, positions[0], 2);

        Assert.True(read.Continuous);
        Assert.Equal([2, 3], read.Entries.Select(e => e.Offset));
        Assert.Equal(positions[5], read.Top);
    }

    [Fact]
    public async Task Reading_without_a_position_returns_the_latest_entries()
    {
        var positions = await AppendAsync(Channel, 6);

        var latest = await Store.ReadAsync(Nsp, Channel, null, 2);
        var all = await Store.ReadAsync(Nsp, Channel, null, 100);
        var none = await Store.ReadAsync(Nsp, Channel, null, 0);

        Assert.True(latest.Continuous);
        Assert.Equal([5, 6], latest.Entries.Select(e => e.Offset));
        Assert.Equal([1, 2, 3, 4, 5, 6], all.Entries.Select(e => e.Offset));
        Assert.Empty(none.Entries);
        Assert.Equal(positions[5], latest.Top);
    }

    [Fact]
    public async Task Size_trimming_makes_positions_before_the_window_discontinuous_and_inside_it_continuous()
    {
        var small = new HistoryPolicy { Size = 3, Ttl = TimeSpan.FromHours(1) };
        var positions = await AppendAsync(Channel, 6, small);
        var epoch = positions[0].Epoch;

        var beforeWindow = await Store.ReadAsync(Nsp, Channel, new StreamPosition(2, epoch), 100);
        var windowEdge = await Store.ReadAsync(Nsp, Channel, new StreamPosition(3, epoch), 100);
        var insideWindow = await Store.ReadAsync(Nsp, Channel, new StreamPosition(5, epoch), 100);
        var latest = await Store.ReadAsync(Nsp, Channel, null, 100);

        Assert.False(beforeWindow.Continuous);
        Assert.Empty(beforeWindow.Entries);
        Assert.True(windowEdge.Continuous);
        Assert.Equal([4, 5, 6], windowEdge.Entries.Select(e => e.Offset));
        Assert.True(insideWindow.Continuous);
        Assert.Equal([6], insideWindow.Entries.Select(e => e.Offset));
        Assert.Equal([4, 5, 6], latest.Entries.Select(e => e.Offset));
        Assert.Equal(positions[5], latest.Top);
    }

    [Fact]
    public async Task Age_trimming_follows_the_clock_even_without_new_appends()
    {
        var tenSeconds = new HistoryPolicy { Size = 100, Ttl = TimeSpan.FromSeconds(10) };
        var first = await Store.AppendAsync(Nsp, Channel, Publish(), tenSeconds);
        Clock.Advance(TimeSpan.FromSeconds(6));
        var second = await Store.AppendAsync(Nsp, Channel, Publish(), tenSeconds);
        var epoch = first.Epoch;

        // 12 s after the first publication: it is past the 10-second TTL, the second is not.
        Clock.Advance(TimeSpan.FromSeconds(6));
        var fromStart = await Store.ReadAsync(Nsp, Channel, new StreamPosition(0, epoch), 100);
        var fromFirst = await Store.ReadAsync(Nsp, Channel, first, 100);
        var latest = await Store.ReadAsync(Nsp, Channel, null, 100);
        var afterSeqZero = await Store.ReadAfterSeqAsync(Nsp, Channel, 0);
        var afterSeqOne = await Store.ReadAfterSeqAsync(Nsp, Channel, 1);

        Assert.False(fromStart.Continuous);
        Assert.True(fromFirst.Continuous);
        Assert.Equal([2], fromFirst.Entries.Select(e => e.Offset));
        Assert.Equal([2], latest.Entries.Select(e => e.Offset));
        Assert.False(afterSeqZero.Continuous);
        Assert.True(afterSeqOne.Continuous);
        Assert.Equal([2L], afterSeqOne.Entries.Select(e => e.Publication.Seq));

        // Everything expired: a reader at the top still continues (with nothing), one behind does not.
        Clock.Advance(TimeSpan.FromSeconds(6));
        var fromTop = await Store.ReadAsync(Nsp, Channel, second, 100);
        var behindTop = await Store.ReadAsync(Nsp, Channel, first, 100);
        var empty = await Store.ReadAsync(Nsp, Channel, null, 100);

        Assert.True(fromTop.Continuous);
        Assert.Empty(fromTop.Entries);
        Assert.False(behindTop.Continuous);
        Assert.Empty(empty.Entries);
        Assert.Equal(second, empty.Top);
        Assert.Equal(new StreamPosition(3, epoch), await Store.AppendAsync(Nsp, Channel, Publish(), tenSeconds));
    }

    [Fact]
    public async Task Long_histories_are_read_and_trimmed_whole()
    {
        var tenSeconds = new HistoryPolicy { Size = 1000, Ttl = TimeSpan.FromSeconds(10) };
        var positions = await AppendAsync(Channel, 250, tenSeconds);

        var afterSeq = await Store.ReadAfterSeqAsync(Nsp, Channel, 20);
        var since = await Store.ReadAsync(Nsp, Channel, positions[9], 1000);
        Clock.Advance(TimeSpan.FromSeconds(20));
        var last = await Store.AppendAsync(Nsp, Channel, Publish(), tenSeconds);
        var expired = await Store.ReadAsync(Nsp, Channel, positions[^1], 1000);
        var expiredAfterSeq = await Store.ReadAfterSeqAsync(Nsp, Channel, 249);

        Assert.True(afterSeq.Continuous);
        Assert.Equal(Enumerable.Range(21, 230).Select(s => (long)s), afterSeq.Entries.Select(e => e.Publication.Seq));
        Assert.Equal(Enumerable.Range(11, 240).Select(o => (long)o), since.Entries.Select(e => e.Offset));
        Assert.True(expired.Continuous);
        Assert.Equal([last.Offset], expired.Entries.Select(e => e.Offset));
        Assert.False(expiredAfterSeq.Continuous);
        Assert.Equal([251L], (await Store.ReadAfterSeqAsync(Nsp, Channel, 250)).Entries.Select(e => e.Publication.Seq));
    }

    protected Publication Publish(long? seq = null, string eventName = "message")
    {
        var number = seq ?? Interlocked.Increment(ref _seq);
        return Publication.FromStored(number, eventName, Encoding.UTF8.GetBytes($"[{number}]"), [], null, Clock.GetUtcNow());
    }

    private async Task<StreamPosition[]> AppendAsync(string channel, int count, HistoryPolicy? policy = null)
    {
        var positions = new StreamPosition[count];
        for (var i = 0; i < count; i++)
        {
            positions[i] = await Store.AppendAsync(Nsp, channel, Publish(), policy ?? Roomy);
        }
        return positions;
    }
}
