using Switchboard.Engine;

namespace Switchboard.Core.Tests.Engine;

public sealed class OutboundQueueTests
{
    // Every await is bounded. The queue works in memory and its wake-ups are thread-pool work items, so
    // a wait normally ends in microseconds; the bound is generous for a busy machine shared with other builds.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static OutboundFrame Frame(int n) => OutboundFrame.Text(new[] { (byte)n });

    [Fact]
    public void Frames_come_out_in_order_across_growth()
    {
        var queue = new OutboundQueue();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 40; i++)
            {
                Assert.True(queue.TryWrite(Frame(i)));
            }
            for (var i = 0; i < 40; i++)
            {
                Assert.True(queue.TryRead(out var frame));
                Assert.Equal(i, frame.Data.Span[0]);
            }
            Assert.False(queue.TryRead(out _));
        }
    }

    [Fact]
    public void Order_holds_when_reads_and_writes_interleave_around_the_ring()
    {
        var queue = new OutboundQueue();
        var next = 0;
        var expected = 0;
        for (var step = 0; step < 100; step++)
        {
            for (var i = 0; i < step % 7; i++)
            {
                queue.TryWrite(Frame(next++ % 256));
            }
            for (var i = 0; i < step % 5 && queue.TryRead(out var frame); i++)
            {
                Assert.Equal(expected++ % 256, frame.Data.Span[0]);
            }
        }
        while (queue.TryRead(out var frame))
        {
            Assert.Equal(expected++ % 256, frame.Data.Span[0]);
        }
        Assert.Equal(next, expected);
    }

    [Fact]
    public async Task A_waiting_reader_is_woken_by_a_write()
    {
        var queue = new OutboundQueue();
        var wait = queue.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        queue.TryWrite(Frame(1));
        Assert.True(await wait.WaitAsync(Timeout));
        Assert.True(queue.TryRead(out _));
    }

    [Fact]
    public async Task Completion_lets_the_reader_drain_then_reports_false()
    {
        var queue = new OutboundQueue();
        queue.TryWrite(Frame(1));
        queue.Complete();
        Assert.False(queue.TryWrite(Frame(2)));
        Assert.False(queue.IsFinished);
        Assert.True(await queue.WaitToReadAsync().AsTask().WaitAsync(Timeout));
        Assert.True(queue.TryRead(out _));
        Assert.True(queue.IsFinished);
        Assert.False(await queue.WaitToReadAsync().AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Completion_wakes_a_waiting_reader_with_false()
    {
        var queue = new OutboundQueue();
        var wait = queue.WaitToReadAsync().AsTask();
        queue.Complete();
        Assert.False(await wait.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_next_wait_still_works()
    {
        var queue = new OutboundQueue();
        using var cts = new CancellationTokenSource();
        var wait = queue.WaitToReadAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Timeout));

        var second = queue.WaitToReadAsync(cts.Token);
        Assert.True(second.IsCanceled || second.IsFaulted);

        using var fresh = new CancellationTokenSource();
        var third = queue.WaitToReadAsync(fresh.Token).AsTask();
        queue.TryWrite(Frame(1));
        Assert.True(await third.WaitAsync(Timeout));
        // The registration of a completed wait is gone: cancelling now touches nothing.
        fresh.Cancel();
        Assert.True(await queue.WaitToReadAsync().AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_second_reader_is_refused_while_a_wait_is_pending_or_its_result_not_yet_taken()
    {
        var queue = new OutboundQueue();
        var wait = queue.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => queue.WaitToReadAsync());

        // Woken, but the first reader has not taken its result: a second wait would reset the waiter under it.
        queue.TryWrite(Frame(1));
        Assert.Throws<InvalidOperationException>(() => queue.WaitToReadAsync());

        Assert.True(await wait.AsTask().WaitAsync(Timeout));
        Assert.True(await queue.WaitToReadAsync().AsTask().WaitAsync(Timeout));
        Assert.True(queue.TryRead(out _));
        var next = queue.WaitToReadAsync().AsTask();
        queue.Complete();
        Assert.False(await next.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Many_writers_and_one_reader_lose_nothing()
    {
        var queue = new OutboundQueue();
        const int Writers = 4;
        const int PerWriter = 20_000;
        var reader = Task.Run(async () =>
        {
            var seen = new int[Writers];
            var total = 0;
            // Bounded by the wait for the reader below.
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var frame))
                {
                    var writer = frame.Data.Span[0];
                    var n = BitConverter.ToInt32(frame.Data.Span[1..]);
                    Assert.Equal(seen[writer], n);
                    seen[writer]++;
                    total++;
                }
            }
            return total;
        });
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                var bytes = new byte[5];
                bytes[0] = (byte)w;
                BitConverter.TryWriteBytes(bytes.AsSpan(1), i);
                queue.TryWrite(OutboundFrame.Text(bytes));
            }
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(Timeout);
        queue.Complete();
        Assert.Equal(Writers * PerWriter, await reader.WaitAsync(Timeout));
    }

    [Fact]
    public async Task An_empty_ring_is_let_go_and_the_next_write_and_a_waiting_reader_still_work()
    {
        var queue = new OutboundQueue();
        Assert.False(queue.TrimIfEmpty());
        Assert.True(queue.TryWrite(Frame(1)));
        // Something queued: nothing is let go.
        Assert.False(queue.TrimIfEmpty());
        Assert.True(queue.TryRead(out var first));
        Assert.Equal(1, first.Data.Span[0]);

        Assert.True(queue.TrimIfEmpty());
        Assert.False(queue.TrimIfEmpty());
        Assert.False(queue.TryRead(out _));

        // A reader that waits on the trimmed queue is woken by the next write, which brings a ring again.
        var wait = queue.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        Assert.True(queue.TryWrite(Frame(2)));
        Assert.True(queue.TryWrite(Frame(3)));
        Assert.True(await wait.AsTask().WaitAsync(Timeout));
        Assert.True(queue.TryRead(out var second));
        Assert.True(queue.TryRead(out var third));
        Assert.Equal([2, 3], new[] { second.Data.Span[0], third.Data.Span[0] });
        Assert.Equal(0, queue.QueuedBytes);
    }
}
