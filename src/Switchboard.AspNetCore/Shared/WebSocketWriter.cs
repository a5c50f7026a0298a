namespace Switchboard.AspNetCore.Shared;

/// <summary>
/// What the one WebSocket write loop (<see cref="WebSocketWriter"/>) needs from the connection it writes
/// for, whatever the protocol (an Engine.IO session's frames, a plain WebSocket connection's messages):
/// its queue, how to send one item, and what to do when the queue is done or a send fails.
/// </summary>
internal interface IWebSocketOutbound<T>
    where T : struct
{
    /// <summary>Waits until an item can be taken; false once the queue is complete and drained.</summary>
    ValueTask<bool> WaitAsync();

    /// <summary>A send a writing thread started directly and did not finish; completed when there is none.</summary>
    ValueTask TakeUnfinishedSend();

    bool TryTake(out T item);

    /// <summary>The bytes and WebSocket messages an item is, for the batch limits.</summary>
    long Weigh(in T item, out int messages);

    /// <summary>Sends one item (one or more WebSocket messages); <paramref name="last"/> ends a batch.</summary>
    ValueTask SendAsync(T item, bool last);

    /// <summary>A drain of the queue is written: <paramref name="messages"/> messages, <paramref name="bytes"/> bytes (counted once per drain, not per message).</summary>
    void OnSent(long messages, long bytes);

    /// <summary>A write to the client starts (the send scan times it).</summary>
    void BeginSend();

    void EndSend();

    /// <summary>The queue is complete and everything in it was sent: the close handshake starts.</summary>
    Task OnDrainedAsync();

    /// <summary>Whether a failed send is the connection going away (quietly) rather than a bug.</summary>
    bool IsTransportFailure(Exception exception);

    /// <summary>A send failed because the connection went away.</summary>
    void OnSendFailed(Exception exception);

    /// <summary>The writer stops (after <see cref="OnDrainedAsync"/> or <see cref="OnSendFailed"/>): the read side is awaited, given up if it lingers.</summary>
    Task OnStoppedAsync();
}

/// <summary>
/// The one write loop of every protocol over WebSocket. It waits on the connection's queue without a
/// cancellation token, then sends what it holds in batches, each one write to the connection when the
/// socket runs over a <see cref="GatheringStream"/>, of up to <see cref="MaxBatchMessages"/> messages or
/// <see cref="MaxBatchBytes"/> bytes, so a long backlog goes out in writes that each wait for the
/// connection (Kestrel's backpressure); every batch is timed (<see cref="IWebSocketOutbound{T}.BeginSend"/>).
/// It is the connection's only long-lived method on the write side: a transport returns its task rather
/// than awaiting it, so an idle connection keeps one state machine for writing, not two.
/// </summary>
internal static class WebSocketWriter
{
    internal const int MaxBatchMessages = 64;
    internal const int MaxBatchBytes = 64 * 1024;

    public static async Task RunAsync<TOutbound, T>(TOutbound outbound, IWriteBatching? stream)
        where TOutbound : IWebSocketOutbound<T>
        where T : struct
    {
        try
        {
            while (true)
            {
                var readable = await outbound.WaitAsync();
                var unfinished = outbound.TakeUnfinishedSend();
                if (!unfinished.IsCompleted)
                {
                    // A direct send that did not complete at once: its start is already noted.
                    await unfinished;
                    outbound.EndSend();
                }
                else
                {
                    await unfinished;
                }
                if (!readable)
                {
                    break;
                }
                if (!outbound.TryTake(out var item))
                {
                    continue;
                }
                var more = outbound.TryTake(out var next);
                if (more)
                {
                    stream?.Gather();
                }
                var messages = 0;
                var bytes = 0L;
                var sentMessages = 0L;
                var sentBytes = 0L;
                outbound.BeginSend();
                while (true)
                {
                    var weight = outbound.Weigh(item, out var count);
                    bytes += weight;
                    messages += count;
                    sentBytes += weight;
                    sentMessages += count;
                    var full = messages >= MaxBatchMessages || bytes >= MaxBatchBytes;
                    await outbound.SendAsync(item, last: !more || full);
                    if (!more)
                    {
                        break;
                    }
                    item = next;
                    more = outbound.TryTake(out next);
                    if (full)
                    {
                        messages = 0;
                        bytes = 0;
                        outbound.BeginSend();
                        if (more)
                        {
                            stream?.Gather();
                        }
                    }
                }
                outbound.OnSent(sentMessages, sentBytes);
                outbound.EndSend();
            }
            await outbound.OnDrainedAsync();
        }
        catch (Exception ex) when (outbound.IsTransportFailure(ex))
        {
            outbound.OnSendFailed(ex);
        }
        finally
        {
            outbound.EndSend();
        }
        await outbound.OnStoppedAsync();
    }
}
