namespace Switchboard.SocketIO;

/// <summary>Listener registration: per-event listeners, catch-all listeners in both directions, and per-event middleware.</summary>
public sealed partial class Socket
{
    private readonly Lock _handlersLock = new();

    // Changed only under _handlersLock, and only by replacing them (copy on write): dispatch reads the
    // current snapshot without a lock. Listeners are registered far less often than events arrive.
    private Dictionary<string, Listener[]>? _handlers;
    private Listener[]? _anyIncoming;
    private Action<string, object?[]>[]? _anyOutgoing;
    private Func<SocketEvent, Func<ValueTask>, ValueTask>[]? _use;

    /// <summary>A registered listener: what the caller passed (to remove it by) and what runs.</summary>
    private sealed record Listener(Delegate Original, Func<SocketEvent, ValueTask> Run, bool Once);

    /// <summary>Listens for an event. The handler may acknowledge through <see cref="SocketEvent.Ack"/>.</summary>
    public Socket On(string eventName, Func<SocketEvent, ValueTask> handler) => AddListener(eventName, new Listener(handler, handler, false));

    /// <inheritdoc cref="On(string, Func{SocketEvent, ValueTask})"/>
    public Socket On(string eventName, Action<SocketEvent> handler) => AddListener(eventName, new Listener(handler, Wrap(handler), false));

    /// <summary>Listens for an event whose first argument is a <typeparamref name="T"/>.</summary>
    public Socket On<T>(string eventName, Func<T?, ValueTask> handler) =>
        AddListener(eventName, new Listener(handler, e => handler(e.Args.GetOrDefault<T>(0)), false));

    /// <summary>Listens for an event and acknowledges it with what the handler returns.</summary>
    public Socket On<T, TResult>(string eventName, Func<T?, ValueTask<TResult>> handler) =>
        AddListener(eventName, new Listener(handler, async e =>
        {
            var result = await handler(e.Args.GetOrDefault<T>(0));
            e.Ack(result);
        }, false));

    /// <summary>Listens for the next occurrence of an event only (socket.io's <c>once</c>).</summary>
    public Socket Once(string eventName, Func<SocketEvent, ValueTask> handler) => AddListener(eventName, new Listener(handler, handler, true));

    /// <inheritdoc cref="Once(string, Func{SocketEvent, ValueTask})"/>
    public Socket Once(string eventName, Action<SocketEvent> handler) => AddListener(eventName, new Listener(handler, Wrap(handler), true));

    /// <summary>Removes every listener of an event.</summary>
    public Socket Off(string eventName)
    {
        lock (_handlersLock)
        {
            SetListeners(eventName, []);
        }
        return this;
    }

    /// <summary>Removes one listener of an event: the delegate given to <see cref="On(string, Func{SocketEvent, ValueTask})"/> or <see cref="Once(string, Func{SocketEvent, ValueTask})"/>.</summary>
    public Socket Off(string eventName, Delegate handler)
    {
        lock (_handlersLock)
        {
            if (_handlers is not null && _handlers.TryGetValue(eventName, out var list))
            {
                SetListeners(eventName, Without(list, handler));
            }
        }
        return this;
    }

    /// <summary>Removes the listeners of one event, or of every event (socket.io's <c>removeAllListeners</c>).</summary>
    public Socket RemoveAllListeners(string? eventName = null)
    {
        lock (_handlersLock)
        {
            if (eventName is null)
            {
                _handlers = null;
            }
            else
            {
                SetListeners(eventName, []);
            }
        }
        return this;
    }

    /// <summary>The listeners of an event, as they were given.</summary>
    public IReadOnlyList<Delegate> Listeners(string eventName)
    {
        lock (_handlersLock)
        {
            return _handlers is not null && _handlers.TryGetValue(eventName, out var list) ? [.. list.Select(l => l.Original)] : [];
        }
    }

    /// <summary>Listens for every incoming event, before the event's own listeners.</summary>
    public Socket OnAny(Func<SocketEvent, ValueTask> handler) => AddAny(new Listener(handler, handler, false), prepend: false);

    /// <inheritdoc cref="OnAny(Func{SocketEvent, ValueTask})"/>
    public Socket OnAny(Action<SocketEvent> handler) => AddAny(new Listener(handler, Wrap(handler), false), prepend: false);

    /// <summary>Like <see cref="OnAny(Func{SocketEvent, ValueTask})"/>, but runs before the catch-all listeners already added.</summary>
    public Socket PrependAny(Func<SocketEvent, ValueTask> handler) => AddAny(new Listener(handler, handler, false), prepend: true);

    /// <inheritdoc cref="PrependAny(Func{SocketEvent, ValueTask})"/>
    public Socket PrependAny(Action<SocketEvent> handler) => AddAny(new Listener(handler, Wrap(handler), false), prepend: true);

    /// <summary>Removes one catch-all listener, or all of them when <paramref name="handler"/> is null.</summary>
    public Socket OffAny(Delegate? handler = null)
    {
        lock (_handlersLock)
        {
            _anyIncoming = handler is null || _anyIncoming is null ? null : NullIfEmpty(Without(_anyIncoming, handler));
        }
        return this;
    }

    /// <summary>The catch-all listeners, as they were given.</summary>
    public IReadOnlyList<Delegate> ListenersAny()
    {
        lock (_handlersLock)
        {
            return _anyIncoming is null ? [] : [.. _anyIncoming.Select(l => l.Original)];
        }
    }

    /// <summary>Listens for every outgoing event (emits and broadcasts), before it is written.</summary>
    public Socket OnAnyOutgoing(Action<string, object?[]> listener) => AddAnyOutgoing(listener, prepend: false);

    /// <summary>Like <see cref="OnAnyOutgoing"/>, but runs before the outgoing listeners already added.</summary>
    public Socket PrependAnyOutgoing(Action<string, object?[]> listener) => AddAnyOutgoing(listener, prepend: true);

    /// <summary>Removes one outgoing catch-all listener, or all of them when <paramref name="listener"/> is null.</summary>
    public Socket OffAnyOutgoing(Action<string, object?[]>? listener = null)
    {
        lock (_handlersLock)
        {
            _anyOutgoing = listener is null || _anyOutgoing is null ? null : NullIfEmpty(Array.FindAll(_anyOutgoing, l => l != listener));
        }
        return this;
    }

    /// <summary>The outgoing catch-all listeners, in the order they run.</summary>
    public IReadOnlyList<Action<string, object?[]>> ListenersAnyOutgoing()
    {
        lock (_handlersLock)
        {
            return _anyOutgoing ?? [];
        }
    }

    /// <summary>
    /// Adds per-event middleware (socket.io's <c>socket.use</c>): it runs for every incoming event, in order,
    /// before any listener. Not calling <c>next</c> drops the event; throwing drops it and raises
    /// <see cref="Error"/> with the exception (logged when nobody listens).
    /// </summary>
    public Socket Use(Func<SocketEvent, Func<ValueTask>, ValueTask> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        lock (_handlersLock)
        {
            _use = [.. _use ?? [], middleware];
        }
        return this;
    }

    private static Func<SocketEvent, ValueTask> Wrap(Action<SocketEvent> handler) => e => { handler(e); return ValueTask.CompletedTask; };

    private static Listener[] Without(Listener[] list, Delegate handler)
    {
        // The last registration of the delegate goes, as with EventEmitter's removeListener.
        var index = Array.FindLastIndex(list, l => l.Original.Equals(handler));
        return index < 0 ? list : [.. list[..index], .. list[(index + 1)..]];
    }

    private static T[]? NullIfEmpty<T>(T[] items) => items.Length == 0 ? null : items;

    private Socket AddListener(string eventName, Listener listener)
    {
        lock (_handlersLock)
        {
            SetListeners(eventName, _handlers is not null && _handlers.TryGetValue(eventName, out var list) ? [.. list, listener] : [listener]);
        }
        return this;
    }

    /// <summary>Replaces the listeners of one event in a new copy of the table; the caller holds the lock.</summary>
    private void SetListeners(string eventName, Listener[] listeners)
    {
        var table = _handlers is null ? new Dictionary<string, Listener[]>(StringComparer.Ordinal) : new Dictionary<string, Listener[]>(_handlers, StringComparer.Ordinal);
        if (listeners.Length == 0)
        {
            table.Remove(eventName);
        }
        else
        {
            table[eventName] = listeners;
        }
        _handlers = table.Count == 0 ? null : table;
    }

    private Socket AddAny(Listener listener, bool prepend)
    {
        lock (_handlersLock)
        {
            var list = _anyIncoming ?? [];
            _anyIncoming = prepend ? [listener, .. list] : [.. list, listener];
        }
        return this;
    }

    private Socket AddAnyOutgoing(Action<string, object?[]> listener, bool prepend)
    {
        lock (_handlersLock)
        {
            var list = _anyOutgoing ?? [];
            _anyOutgoing = prepend ? [listener, .. list] : [.. list, listener];
        }
        return this;
    }

    internal void NotifyOutgoing(EncodedPacket packet)
    {
        var listeners = _anyOutgoing;
        if (listeners is null || packet.EventName is null)
        {
            return;
        }
        foreach (var listener in listeners)
        {
            listener(packet.EventName, packet.Arguments ?? []);
        }
    }
}
