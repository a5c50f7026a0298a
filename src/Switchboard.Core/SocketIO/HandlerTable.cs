using System.Collections.Concurrent;

namespace Switchboard.SocketIO;

/// <summary>
/// Event handlers shared by every socket of a namespace: registration may happen at any time, while
/// events are being dispatched on other threads, so each event's handlers are an immutable array
/// replaced on registration.
/// </summary>
internal sealed class HandlerTable
{
    private readonly ConcurrentDictionary<string, Func<SocketEvent, ValueTask>[]> _handlers = new(StringComparer.Ordinal);

    public void Add(string eventName, Func<SocketEvent, ValueTask> handler) =>
        _handlers.AddOrUpdate(eventName, static (_, h) => [h], static (_, existing, h) => [.. existing, h], handler);

    public Func<SocketEvent, ValueTask>[]? Get(string eventName) => _handlers.TryGetValue(eventName, out var handlers) ? handlers : null;
}
