using Switchboard.Channels;

namespace Switchboard.Core.Tests.Channels;

/// <summary>The circular array under the in-memory store's channel logs.</summary>
public sealed class HistoryRingTests
{
    private static ChannelEntry Entry(long offset) =>
        new("c", offset, "e", Publication.FromStored(offset, "m", "[]"u8.ToArray(), [], null, DateTimeOffset.UnixEpoch));

    [Fact]
    public void Entries_keep_their_order_across_wrapping_and_growing()
    {
        var ring = new HistoryRing();
        var model = new Queue<long>();
        long next = 1;
        // Uneven adds and removals: the head wraps at several capacities, and the array grows while wrapped.
        for (var round = 0; round < 40; round++)
        {
            for (var i = 0; i < round % 7 + 1; i++)
            {
                ring.Add(Entry(next));
                model.Enqueue(next++);
            }
            for (var i = 0; i < round % 5 && model.Count > 0; i++)
            {
                Assert.Equal(model.Dequeue(), ring.RemoveOldest().Offset);
            }

            Assert.Equal(model.Count, ring.Count);
            Assert.Equal(model, Enumerable.Range(0, ring.Count).Select(i => ring[i].Offset));
            Assert.Equal(model, ring.Copy(0, ring.Count).Select(e => e.Offset));
            if (ring.Count > 2)
            {
                Assert.Equal(model.Skip(1).Take(ring.Count - 2), ring.Copy(1, ring.Count - 2).Select(e => e.Offset));
            }
        }
    }

    [Fact]
    public void An_empty_ring_refuses_to_give_what_it_does_not_have()
    {
        var ring = new HistoryRing();
        ring.Add(Entry(1));
        ring.RemoveOldest();

        Assert.Equal(0, ring.Count);
        Assert.Empty(ring.Copy(0, 0));
        Assert.Throws<InvalidOperationException>(() => ring.RemoveOldest());
        Assert.Throws<ArgumentOutOfRangeException>(() => ring[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Copy(0, 1));
    }
}
