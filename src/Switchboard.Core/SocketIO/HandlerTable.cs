using System.Collections.Concurrent;

namespace Switchboard.SocketIO;

/// <summary>
/// Event handlers shared by every socket of a namespace: registration may happen at any time, while
/// events are being dispatched on other threads, so each event's handlers are an immutable array
/// replaced on registration.
/// </summary>
internal sealed class HandlerTable
{
    private readonly ConcurrentDictionary<string, Entry[]> _handlers = new(StringComparer.Ordinal);

    /// <summary>A handler as it was given (to remove it by) and as it runs.</summary>
    internal sealed record Entry(Delegate Original, Func<SocketEvent, ValueTask> Run);

    public void Add(string eventName, Delegate original, Func<SocketEvent, ValueTask> handler) =>
        _handlers.AddOrUpdate(eventName, static (_, h) => [h], static (_, existing, h) => [.. existing, h], new Entry(original, handler));

    /// <summary>Removes one handler (the last registration of <paramref name="original"/>), or all of the event's when null.</summary>
    public void Remove(string eventName, Delegate? original)
    {
        while (_handlers.TryGetValue(eventName, out var existing))
        {
            var index = original is null ? -1 : Array.FindLastIndex(existing, e => e.Original.Equals(original));
            if (original is not null && index < 0)
            {
                return;
            }
            Entry[] left = original is null ? [] : [.. existing[..index], .. existing[(index + 1)..]];
            var done = left.Length == 0
                ? _handlers.TryRemove(new KeyValuePair<string, Entry[]>(eventName, existing))
                : _handlers.TryUpdate(eventName, left, existing);
            if (done)
            {
                return;
            }
        }
    }

    public Entry[]? Get(string eventName) => _handlers.TryGetValue(eventName, out var handlers) ? handlers : null;
}
