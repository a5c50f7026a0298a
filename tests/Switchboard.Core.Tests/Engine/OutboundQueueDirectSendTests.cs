using Switchboard.Engine;

namespace Switchboard.Core.Tests.Engine;

/// <summary>
/// A direct write (an ack, a ping) to a queue whose reader waits on it empty is sent on the writing
/// thread through the attached sender; the reader is not woken for it, never runs beside it, and gets
/// whatever was written meanwhile after it, as well as any send that did not complete at once.
/// </summary>
public sealed class OutboundQueueDirectSendTests
{
    // Every await is bounded; wake-ups are thread-pool work items, normally done in microseconds.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static OutboundFrame Frame(int n) => OutboundFrame.Text(new[] { (byte)n });

    [Fact]
    public void A_direct_write_to_an_idle_reader_is_sent_on_the_writing_thread_without_waking_it()
    {
        var queue = new OutboundQueue();
        var sender = new RecordingSender();
        queue.AttachSender(sender);
        var wait = queue.WaitToReadAsync();

        Assert.True(queue.TryWrite(Frame(1), direct: true));

        Assert.Equal(new byte[] { 1 }, sender.Sent);
        Assert.Equal(Environment.CurrentManagedThreadId, sender.Threads.Single());
        Assert.False(wait.IsCompleted);
        Assert.False(queue.TryRead(out _));
        Assert.True(queue.TakeUnfinishedSend().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_direct_write_is_queued_when_the_reader_is_not_waiting_no_sender_is_attached_or_the_wait_can_be_cancelled()
    {
        var sender = new RecordingSender();

        var busy = new OutboundQueue();
        busy.AttachSender(sender);
        Assert.True(busy.TryWrite(Frame(1), direct: true));
        Assert.True(busy.TryRead(out _));

        var detached = new OutboundQueue();
        var wait = detached.WaitToReadAsync().AsTask();
        Assert.True(detached.TryWrite(Frame(2), direct: true));
        Assert.True(await wait.WaitAsync(Timeout));

        var cancellable = new OutboundQueue();
        cancellable.AttachSender(sender);
        using var cancellation = new CancellationTokenSource();
        var cancellableWait = cancellable.WaitToReadAsync(cancellation.Token).AsTask();
        Assert.True(cancellable.TryWrite(Frame(3), direct: true));
        Assert.True(await cancellableWait.WaitAsync(Timeout));

        Assert.Empty(sender.Sent);
    }

    [Fact]
    public async Task Frames_written_during_a_direct_send_are_queued_behind_it_and_wake_the_reader_once_it_is_done()
    {
        var queue = new OutboundQueue();
        var sender = new RecordingSender();
        queue.AttachSender(sender);
        var wait = queue.WaitToReadAsync().AsTask();
        sender.During = () =>
        {
            Assert.True(queue.TryWrite(Frame(2)));
            Assert.True(queue.TryWrite(Frame(3), direct: true));
            Assert.False(wait.IsCompleted);
        };

        Assert.True(queue.TryWrite(Frame(1), direct: true));

        Assert.True(await wait.WaitAsync(Timeout));
        Assert.True(queue.TakeUnfinishedSend().IsCompletedSuccessfully);
        Assert.True(queue.TryRead(out var second));
        Assert.True(queue.TryRead(out var third));
        Assert.False(queue.TryRead(out _));
        Assert.Equal(new byte[] { 1 }, sender.Sent);
        Assert.Equal(new byte[] { 2, 3 }, new[] { second.Data.Span[0], third.Data.Span[0] });
    }

    [Fact]
    public async Task A_direct_send_that_does_not_complete_at_once_is_handed_to_the_reader()
    {
        var queue = new OutboundQueue();
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sender = new RecordingSender { Result = new ValueTask(pending.Task) };
        queue.AttachSender(sender);
        var wait = queue.WaitToReadAsync().AsTask();

        Assert.True(queue.TryWrite(Frame(1), direct: true));

        // The reader wakes with nothing to read but the unfinished send; a direct write meanwhile is queued.
        Assert.True(await wait.WaitAsync(Timeout));
        Assert.True(queue.TryWrite(Frame(2), direct: true));
        var unfinished = queue.TakeUnfinishedSend().AsTask();
        Assert.False(unfinished.IsCompleted);
        pending.SetResult();
        await unfinished.WaitAsync(Timeout);
        Assert.True(queue.TakeUnfinishedSend().IsCompletedSuccessfully);
        Assert.True(queue.TryRead(out var queued));
        Assert.Equal(2, queued.Data.Span[0]);
        Assert.Equal(new byte[] { 1 }, sender.Sent);
    }

    [Fact]
    public async Task A_direct_send_that_fails_is_handed_to_the_reader_with_its_error()
    {
        var queue = new OutboundQueue();
        queue.AttachSender(new RecordingSender { Error = new IOException("gone") });
        var wait = queue.WaitToReadAsync().AsTask();

        Assert.True(queue.TryWrite(Frame(1), direct: true));

        Assert.True(await wait.WaitAsync(Timeout));
        await Assert.ThrowsAsync<IOException>(() => queue.TakeUnfinishedSend().AsTask().WaitAsync(Timeout));
        Assert.False(queue.TryRead(out _));
    }

    [Fact]
    public async Task Completion_during_a_direct_send_wakes_the_reader_only_after_it_with_what_was_queued_then_false()
    {
        var queue = new OutboundQueue();
        var sender = new RecordingSender();
        queue.AttachSender(sender);
        var wait = queue.WaitToReadAsync().AsTask();
        sender.During = () =>
        {
            Assert.True(queue.TryWrite(Frame(2)));
            queue.Complete();
            Assert.False(queue.TryWrite(Frame(3), direct: true));
            Assert.False(wait.IsCompleted);
        };

        Assert.True(queue.TryWrite(Frame(1), direct: true));

        Assert.True(await wait.WaitAsync(Timeout));
        Assert.True(queue.TryRead(out var queued));
        Assert.Equal(2, queued.Data.Span[0]);
        Assert.False(await queue.WaitToReadAsync().AsTask().WaitAsync(Timeout));
        Assert.False(queue.TryWrite(Frame(4), direct: true));
        Assert.Equal(new byte[] { 1 }, sender.Sent);
    }

    [Fact]
    public async Task Completion_during_a_direct_send_with_nothing_queued_wakes_the_reader_with_false_after_it()
    {
        var queue = new OutboundQueue();
        var sender = new RecordingSender();
        queue.AttachSender(sender);
        var wait = queue.WaitToReadAsync().AsTask();
        sender.During = () =>
        {
            queue.Complete();
            Assert.False(wait.IsCompleted);
        };

        Assert.True(queue.TryWrite(Frame(1), direct: true));

        Assert.False(await wait.WaitAsync(Timeout));
        Assert.True(queue.IsFinished);
    }

    /// <summary>
    /// Writers on several threads, some direct, and one reader that sends like the WebSocket transport:
    /// no two sends ever overlap, nothing is lost, and each writer's frames are sent in its order.
    /// </summary>
    [Fact]
    public async Task Direct_and_queued_writes_from_many_threads_never_overlap_and_keep_each_writers_order()
    {
        const int Writers = 4;
        const int PerWriter = 5_000;
        var queue = new OutboundQueue();
        var sender = new RecordingSender { CheckExclusive = true };
        queue.AttachSender(sender);
        var reader = Task.Run(async () =>
        {
            while (true)
            {
                var readable = await queue.WaitToReadAsync();
                await queue.TakeUnfinishedSend();
                if (!readable)
                {
                    return;
                }
                while (queue.TryRead(out var frame))
                {
                    await sender.Send(frame);
                }
            }
        });
        using var start = new Barrier(Writers);
        var written = 0;
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait(Timeout);
            for (var i = 0; i < PerWriter; i++)
            {
                var frame = OutboundFrame.Text(BitConverter.GetBytes(w * PerWriter + i));
                Assert.True(queue.TryWrite(frame, direct: (i + w) % 3 != 0));
                Interlocked.Increment(ref written);
                if (i % 16 == 15)
                {
                    // Now and then let the reader catch up and wait, so that direct writes find it idle.
                    var target = Volatile.Read(ref written);
                    Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref sender.Total) >= target, Timeout));
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(writers).WaitAsync(Timeout);
        queue.Complete();
        await reader.WaitAsync(Timeout);

        Assert.Equal(0, sender.Overlaps);
        var sent = sender.Values;
        Assert.Equal(Writers * PerWriter, sent.Count);
        for (var w = 0; w < Writers; w++)
        {
            var mine = sent.Where(v => v / PerWriter == w).ToList();
            Assert.Equal(Enumerable.Range(w * PerWriter, PerWriter), mine);
        }
        Assert.True(sender.DirectCount > 0, "No write was sent directly.");
    }

    private sealed class RecordingSender : IDirectSender<OutboundFrame>
    {
        private readonly Lock _lock = new();
        private int _active;

        public List<byte> Sent { get; } = [];

        public List<int> Threads { get; } = [];

        public List<int> Values { get; } = [];

        public Action? During { get; set; }

        public ValueTask Result { get; init; }

        public Exception? Error { get; init; }

        public bool CheckExclusive { get; init; }

        public int Overlaps;

        public int DirectCount;

        public int Total;

        ValueTask IDirectSender<OutboundFrame>.Send(in OutboundFrame frame)
        {
            Interlocked.Increment(ref DirectCount);
            return Send(frame);
        }

        public ValueTask Send(in OutboundFrame frame)
        {
            if (Interlocked.Increment(ref _active) != 1)
            {
                Interlocked.Increment(ref Overlaps);
            }
            try
            {
                if (Error is not null)
                {
                    throw Error;
                }
                lock (_lock)
                {
                    if (CheckExclusive)
                    {
                        Values.Add(BitConverter.ToInt32(frame.Data.Span));
                    }
                    else
                    {
                        Sent.Add(frame.Data.Span[0]);
                        Threads.Add(Environment.CurrentManagedThreadId);
                    }
                }
                Interlocked.Increment(ref Total);
                During?.Invoke();
                return Result;
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }
}
