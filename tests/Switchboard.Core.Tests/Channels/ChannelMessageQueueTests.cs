using Switchboard.Channels;

namespace Switchboard.Core.Tests.Channels;

public sealed class ChannelMessageQueueTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static ChannelMessage Message(int n) => new(ChannelMessageKind.Discontinuity, Channel: "c", Top: new StreamPosition(n, "e"));

    [Fact]
    public void Messages_come_out_in_order_across_growth_and_interleaving()
    {
        var queue = new ChannelMessageQueue();
        var next = 0;
        var expected = 0;
        for (var step = 0; step < 200; step++)
        {
            for (var i = 0; i < step % 41; i++)
            {
                Assert.True(queue.TryWrite(Message(next++)));
            }
            for (var i = 0; i < step % 37 && queue.TryRead(out var message); i++)
            {
                Assert.Equal(expected++, message.Top.Offset);
            }
        }
        while (queue.TryRead(out var message))
        {
            Assert.Equal(expected++, message.Top.Offset);
        }
        Assert.Equal(next, expected);
    }

    [Fact]
    public async Task A_waiting_reader_is_woken_by_a_write_and_the_waiter_is_reused()
    {
        var queue = new ChannelMessageQueue();
        for (var i = 0; i < 3; i++)
        {
            var wait = queue.WaitToReadAsync();
            Assert.False(wait.IsCompleted);
            queue.TryWrite(Message(i));
            Assert.True(await wait.AsTask().WaitAsync(Timeout));
            Assert.True(queue.TryRead(out var message));
            Assert.Equal(i, message.Top.Offset);
        }
    }

    [Fact]
    public async Task Completion_lets_the_reader_drain_then_wakes_it_with_false()
    {
        var queue = new ChannelMessageQueue();
        queue.TryWrite(Message(1));
        queue.Complete();
        Assert.False(queue.TryWrite(Message(2)));
        Assert.True(await queue.WaitToReadAsync());
        Assert.True(queue.TryRead(out _));
        Assert.False(await queue.WaitToReadAsync());

        var other = new ChannelMessageQueue();
        var waiting = other.WaitToReadAsync().AsTask();
        other.Complete();
        Assert.False(await waiting.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_queue_can_be_waited_on_again()
    {
        var queue = new ChannelMessageQueue();
        using var cancel = new CancellationTokenSource();
        var waiting = queue.WaitToReadAsync(cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Timeout));

        var again = queue.WaitToReadAsync().AsTask();
        queue.TryWrite(Message(1));
        Assert.True(await again.WaitAsync(Timeout));
    }
}
