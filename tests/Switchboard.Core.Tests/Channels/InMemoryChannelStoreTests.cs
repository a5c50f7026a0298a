using Switchboard.Channels;

namespace Switchboard.Core.Tests.Channels;

/// <summary>The store contract, against the in-memory store, and what only the in-memory store does.</summary>
public sealed class InMemoryChannelStoreTests : ChannelStoreContract
{
    protected override IChannelStore CreateStore(TimeProvider time) => new InMemoryChannelStore(time);

    [Fact]
    public async Task A_channel_without_history_that_nobody_touched_for_a_sweep_period_comes_back_with_a_new_epoch()
    {
        var store = (InMemoryChannelStore)Store;
        var idle = await store.AppendAsync("/", "idle", Publish(), new HistoryPolicy { Size = 10, Ttl = TimeSpan.FromSeconds(10) });
        var busy = await store.AppendAsync("/", "busy", Publish(), new HistoryPolicy { Size = 10, Ttl = TimeSpan.FromHours(1) });

        Clock.Advance(InMemoryChannelStore.SweepPeriod * 2);
        var channelsAfterSweep = store.ChannelCount;
        var idleRead = await store.ReadAsync("/", "idle", idle, 10);
        var busyRead = await store.ReadAsync("/", "busy", new StreamPosition(0, busy.Epoch), 10);

        Assert.Equal(1, channelsAfterSweep);
        Assert.False(idleRead.Continuous);
        Assert.NotEqual(idle.Epoch, idleRead.Top.Epoch);
        Assert.Equal(0, idleRead.Top.Offset);
        Assert.True(busyRead.Continuous);
        Assert.Equal([1L], busyRead.Entries.Select(e => e.Offset));
    }
}
