using Switchboard.Engine;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>Incoming events: per-socket listeners and catch-all listeners.</summary>
public sealed partial class Socket
{
    private Dictionary<string, List<Func<SocketEvent, ValueTask>>>? _handlers;
    private List<Func<SocketEvent, ValueTask>>? _anyIncoming;
    private List<Action<string, object?[]>>? _anyOutgoing;

    /// <summary>Listens for an event. The handler may acknowledge through <see cref="SocketEvent.Ack"/>.</summary>
    public Socket On(string eventName, Func<SocketEvent, ValueTask> handler)
    {
        _handlers ??= new(StringComparer.Ordinal);
        if (!_handlers.TryGetValue(eventName, out var list))
        {
            _handlers[eventName] = list = [];
        }
        list.Add(handler);
        return this;
    }

    public Socket On(string eventName, Action<SocketEvent> handler) =>
        On(eventName, e => { handler(e); return ValueTask.CompletedTask; });

    /// <summary>Listens for an event whose first argument is a <typeparamref name="T"/>.</summary>
    public Socket On<T>(string eventName, Func<T?, ValueTask> handler) =>
        On(eventName, e => handler(e.Args.GetOrDefault<T>(0)));

    /// <summary>Listens for an event and acknowledges it with what the handler returns.</summary>
    public Socket On<T, TResult>(string eventName, Func<T?, ValueTask<TResult>> handler) =>
        On(eventName, async e =>
        {
            var result = await handler(e.Args.GetOrDefault<T>(0));
            e.Ack(result);
        });

    public Socket Off(string eventName)
    {
        _handlers?.Remove(eventName);
        return this;
    }

    /// <summary>Listens for every incoming event, before the event's own listeners.</summary>
    public Socket OnAny(Func<SocketEvent, ValueTask> handler)
    {
        (_anyIncoming ??= []).Add(handler);
        return this;
    }

    /// <summary>Listens for every outgoing event (emits and broadcasts), before it is written.</summary>
    public Socket OnAnyOutgoing(Action<string, object?[]> listener)
    {
        (_anyOutgoing ??= []).Add(listener);
        return this;
    }

    internal void NotifyOutgoing(EncodedPacket packet)
    {
        if (_anyOutgoing is null || packet.EventName is null)
        {
            return;
        }
        foreach (var listener in _anyOutgoing)
        {
            listener(packet.EventName, packet.Arguments ?? []);
        }
    }

    private List<SocketEvent>? _early;
    private bool _ready;

    /// <summary>
    /// Takes an incoming event. Until the connection handlers have run (they register the socket's
    /// listeners), events are held back, then dispatched in their order.
    /// </summary>
    internal void Receive(SocketEvent e)
    {
        lock (_handlersLock)
        {
            if (!_ready)
            {
                (_early ??= []).Add(e);
                return;
            }
        }
        Dispatch(e);
    }

    /// <summary>The connection handlers have run: dispatch what arrived meanwhile, then go live.</summary>
    internal void MarkReady()
    {
        while (true)
        {
            List<SocketEvent>? early;
            lock (_handlersLock)
            {
                early = _early;
                _early = null;
                if (early is null)
                {
                    _ready = true;
                    return;
                }
            }
            foreach (var e in early)
            {
                Dispatch(e);
            }
        }
    }

    private readonly Lock _handlersLock = new();

    internal void Dispatch(SocketEvent e)
    {
        if (_anyIncoming is not null)
        {
            foreach (var handler in _anyIncoming)
            {
                Run(handler, e);
            }
        }
        if (_handlers is not null && _handlers.TryGetValue(e.Name, out var list))
        {
            foreach (var handler in list)
            {
                Run(handler, e);
            }
        }
        Namespace.DispatchShared(e);
    }

    /// <summary>Runs a handler up to its first await, as Node does; later failures are logged, not lost.</summary>
    internal void Run(Func<SocketEvent, ValueTask> handler, SocketEvent e)
    {
        ValueTask pending;
        try
        {
            pending = handler(e);
        }
        catch (Exception ex)
        {
            Namespace.Server.Log.HandlerFailed(Id, e.Name, ex);
            return;
        }
        if (!pending.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(pending, e.Name);
        }
    }

    private async Task ObserveAsync(ValueTask pending, string eventName)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Namespace.Server.Log.HandlerFailed(Id, eventName, ex);
        }
    }

    /// <summary>Sends an event to this socket only.</summary>
    public void Emit(string eventName, params object?[] args) => Send(PacketEncoder.Event(Namespace.Name, eventName, args));

    /// <summary>An ack is one reply to one socket: it may go out on this thread (<see cref="EngineSession.SendDirect"/>).</summary>
    internal void SendAck(long ackId, object?[] args) => Send(PacketEncoder.Ack(Namespace.Name, ackId, args), direct: true);

    /// <summary>Writes an encoded packet to this socket's connection.</summary>
    internal bool Send(EncodedPacket packet) => Send(packet, direct: false);

    private bool Send(EncodedPacket packet, bool direct)
    {
        if (!Connected)
        {
            return false;
        }
        NotifyOutgoing(packet);
        var frame = Namespace.Server.Options.Parser.Frame(packet);
        return direct ? Client.Session.SendDirect(frame) : Client.Session.Send(frame);
    }
}
