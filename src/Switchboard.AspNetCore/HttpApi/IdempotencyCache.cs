namespace Switchboard.AspNetCore.HttpApi;

/// <summary>
/// The answers of publishes that carried an idempotency key, kept for a window and bounded in number
/// (the oldest are forgotten first). The first request with a key runs; a retry within the window, even
/// one arriving while the first still runs, gets the first one's answer and publishes nothing.
/// </summary>
internal sealed class IdempotencyCache(TimeSpan window, int capacity, TimeProvider time)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, Entry Entry)> _order = new();

    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="run"/> unless the key was seen within the window; returns the first answer and whether it was a replay.</summary>
    public async Task<(byte[] Answer, bool Replayed)> GetOrRunAsync(string key, Func<Task<byte[]>> run)
    {
        Entry? existing;
        Entry? mine = null;
        lock (_entries)
        {
            var now = time.GetUtcNow();
            Expire(now);
            if (!_entries.TryGetValue(key, out existing))
            {
                while (_entries.Count >= capacity && _order.TryDequeue(out var oldest))
                {
                    Forget(oldest.Key, oldest.Entry);
                }
                mine = new Entry(now + window);
                _entries[key] = mine;
                _order.Enqueue((key, mine));
            }
        }
        if (existing is not null)
        {
            return (await existing.Answer.Task.ConfigureAwait(false), true);
        }
        try
        {
            var answer = await run().ConfigureAwait(false);
            mine!.Answer.SetResult(answer);
            return (answer, false);
        }
        catch (Exception e)
        {
            // Nothing was published (or we cannot tell): let a retry run again.
            lock (_entries)
            {
                Forget(key, mine!);
            }
            mine!.Answer.SetException(e);
            _ = mine.Answer.Task.Exception;
            throw;
        }
    }

    private void Expire(DateTimeOffset now)
    {
        while (_order.TryPeek(out var oldest) && oldest.Entry.Expires <= now)
        {
            _order.Dequeue();
            Forget(oldest.Key, oldest.Entry);
        }
    }

    private void Forget(string key, Entry entry)
    {
        if (_entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
        {
            _entries.Remove(key);
        }
    }

    private sealed class Entry(DateTimeOffset expires)
    {
        public DateTimeOffset Expires { get; } = expires;

        public TaskCompletionSource<byte[]> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
