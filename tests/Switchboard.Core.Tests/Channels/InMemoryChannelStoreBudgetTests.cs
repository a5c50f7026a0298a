using System.Text;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Channels;

namespace Switchboard.Core.Tests.Channels;

/// <summary>The in-memory store's byte cap per channel, memory budget and channel cap (docs/protection.md).</summary>
public sealed class InMemoryChannelStoreBudgetTests : IDisposable
{
    private const string Nsp = "/";
    private static readonly HistoryPolicy Roomy = new() { Size = 1000, Ttl = TimeSpan.FromHours(1), MaxBytes = 0 };

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private InMemoryChannelStore? _store;
    private long _seq;

    public void Dispose() => _store?.Dispose();

    private InMemoryChannelStore Create(long maxMemory = 0, int maxChannels = 0) =>
        _store = new InMemoryChannelStore(_clock, new ChannelOptions { MaxMemory = maxMemory, MaxChannels = maxChannels });

    /// <summary>A publication whose payload is a string of about <paramref name="bytes"/> bytes.</summary>
    private Publication Publish(int bytes = 1000)
    {
        var seq = ++_seq;
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        return Publication.FromStored(seq, "m", Encoding.UTF8.GetBytes($"[\"{new string('x', bytes)}\"]"), [], null, _clock.GetUtcNow());
    }

    private static int Size(int bytes) => InMemoryChannelStore.EntryOverhead + 2 + bytes + 2;

    [Fact]
    public async Task A_channel_keeps_no_more_bytes_than_its_policy_and_keeps_its_epoch()
    {
        var store = Create();
        var policy = new HistoryPolicy { Size = 1000, Ttl = TimeSpan.FromHours(1), MaxBytes = Size(1000) * 3 };
        var positions = new List<StreamPosition>();
        for (var i = 0; i < 5; i++)
        {
            positions.Add(await store.AppendAsync(Nsp, "c", Publish(), policy));
        }

        var latest = await store.ReadAsync(Nsp, "c", null, 100);
        var fromKept = await store.ReadAsync(Nsp, "c", positions[1], 100);
        var fromTrimmed = await store.ReadAsync(Nsp, "c", positions[0], 100);
        var recovery = await store.ReadAfterSeqAsync(Nsp, "c", 1);

        Assert.Equal([3L, 4, 5], latest.Entries.Select(e => e.Offset));
        Assert.Equal(positions[0].Epoch, latest.Top.Epoch);
        Assert.True(fromKept.Continuous);
        Assert.Equal([3L, 4, 5], fromKept.Entries.Select(e => e.Offset));
        Assert.False(fromTrimmed.Continuous);
        Assert.Empty(fromTrimmed.Entries);
        Assert.False(recovery.Continuous);
        Assert.Equal(Size(1000) * 3, store.Bytes);
    }

    [Fact]
    public async Task Past_the_memory_budget_the_oldest_publications_go_first_whatever_their_channel()
    {
        var store = Create(maxMemory: Size(1000) * 10);
        var old = await store.AppendAsync(Nsp, "old", Publish(), Roomy);
        await store.AppendAsync(Nsp, "old", Publish(), Roomy);
        var recent = new List<StreamPosition>();
        for (var i = 0; i < 9; i++)
        {
            recent.Add(await store.AppendAsync(Nsp, "recent", Publish(), Roomy));
        }

        var oldRead = await store.ReadAsync(Nsp, "old", new StreamPosition(0, old.Epoch), 100);
        var oldTop = await store.GetPositionAsync(Nsp, "old");
        var recentRead = await store.ReadAsync(Nsp, "recent", new StreamPosition(0, recent[0].Epoch), 100);

        // 11 publications passed the budget of 10: down to 90 %, the two of "old" went, then none of "recent".
        Assert.InRange(store.Bytes, 0, Size(1000) * 9);
        Assert.Equal(2, store.EvictedPublications);
        Assert.False(oldRead.Continuous);
        Assert.Equal(new StreamPosition(2, old.Epoch), oldTop);
        Assert.True(recentRead.Continuous);
        Assert.Equal(9, recentRead.Entries.Count);
    }

    [Fact]
    public async Task Eviction_takes_the_oldest_of_a_busy_channel_before_the_newer_ones_of_a_quiet_one()
    {
        var store = Create(maxMemory: Size(1000) * 10);
        var busy = new List<StreamPosition>();
        for (var i = 0; i < 8; i++)
        {
            busy.Add(await store.AppendAsync(Nsp, "busy", Publish(), Roomy));
        }
        var quiet = await store.AppendAsync(Nsp, "quiet", Publish(), Roomy);
        for (var i = 0; i < 2; i++)
        {
            busy.Add(await store.AppendAsync(Nsp, "busy", Publish(), Roomy));
        }

        var quietRead = await store.ReadAsync(Nsp, "quiet", new StreamPosition(0, quiet.Epoch), 100);
        var busyRead = await store.ReadAsync(Nsp, "busy", busy[1], 100);

        Assert.True(quietRead.Continuous);
        Assert.Single(quietRead.Entries);
        Assert.True(busyRead.Continuous);
        Assert.Equal(busy[2].Offset, busyRead.Entries[0].Offset);
    }

    [Fact]
    public async Task Past_the_channel_cap_the_least_recently_published_channels_are_forgotten_with_a_new_epoch()
    {
        var store = Create(maxChannels: 10);
        var first = await store.AppendAsync(Nsp, "c0", Publish(), Roomy);
        for (var i = 1; i < 10; i++)
        {
            await store.AppendAsync(Nsp, $"c{i}", Publish(), Roomy);
        }
        // c0 is published again: c1 is now the least recently published.
        await store.AppendAsync(Nsp, "c0", Publish(), Roomy);
        var second = await store.GetPositionAsync(Nsp, "c1");

        await store.AppendAsync(Nsp, "c10", Publish(), Roomy);

        Assert.InRange(store.ChannelCount, 1, 10);
        Assert.True(store.ForgottenChannels >= 1);
        var c0 = await store.ReadAsync(Nsp, "c0", first, 100);
        Assert.True(c0.Continuous);
        var c1 = await store.ReadAsync(Nsp, "c1", second, 100);
        Assert.False(c1.Continuous);
        Assert.NotEqual(second.Epoch, c1.Top.Epoch);
    }
}
