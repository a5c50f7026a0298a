using Switchboard.Engine;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>Incoming events (held until the socket is ready, then through <see cref="Use"/> middleware to the listeners) and outgoing ones.</summary>
public sealed partial class Socket
{
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

    internal void Dispatch(SocketEvent e)
    {
        var middleware = _use;
        if (middleware is null)
        {
            DispatchToListeners(e);
            return;
        }
        var passing = PassMiddlewareAsync(middleware, e);
        if (passing.IsCompletedSuccessfully)
        {
            if (passing.Result)
            {
                DispatchToListeners(e);
            }
            return;
        }
        _ = DispatchAfterAsync(passing, e);
    }

    private async Task DispatchAfterAsync(ValueTask<bool> passing, SocketEvent e)
    {
        if (await passing.ConfigureAwait(false))
        {
            DispatchToListeners(e);
        }
    }

    /// <summary>Runs the <see cref="Use"/> chain; false when it stopped the event (an error is raised on the socket).</summary>
    private async ValueTask<bool> PassMiddlewareAsync(Func<SocketEvent, Func<ValueTask>, ValueTask>[] middleware, SocketEvent e)
    {
        var index = 0;
        var passed = false;
        ValueTask Next()
        {
            if (index < middleware.Length)
            {
                return middleware[index++](e, Next);
            }
            passed = true;
            return ValueTask.CompletedTask;
        }
        try
        {
            await Next().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (Error is null)
            {
                Namespace.Server.Log.HandlerFailed(Id, e.Name, ex);
            }
            RaiseError(ex);
            return false;
        }
        // As socket.io: an event that passed its middleware after the socket left is dropped.
        return passed && Connected;
    }

    private void DispatchToListeners(SocketEvent e)
    {
        var any = _anyIncoming;
        Listener[]? list = null;
        if (_handlers is { } handlers && handlers.TryGetValue(e.Name, out list) && Array.Exists(list, l => l.Once))
        {
            lock (_handlersLock)
            {
                // Run what is registered now, and take the once-listeners out of it (a listener removed
                // meanwhile does not run).
                list = _handlers is not null && _handlers.TryGetValue(e.Name, out var current) ? current : [];
                SetListeners(e.Name, Array.FindAll(list, l => !l.Once));
            }
        }
        if (any is not null)
        {
            foreach (var handler in any)
            {
                Run(handler.Run, e);
            }
        }
        if (list is not null)
        {
            foreach (var handler in list)
            {
                Run(handler.Run, e);
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

    /// <summary>
    /// Sends an event to this socket only. Each value after the name is one argument (see <see cref="EmitArgs"/>):
    /// <c>Emit("e", list)</c> sends one array, <c>Emit("e", [.. list])</c> spreads it.
    /// </summary>
    public void Emit(string eventName, params EmitArgs args) => Emit(eventName, args, compress: true);

    internal void Emit(string eventName, EmitArgs args, bool compress, bool isVolatile = false) =>
        Send(EncodeDirect(eventName, args, withOffset: !isVolatile), direct: false, compress);

    // The recovery offset of the last publication sent to this socket (with recovery on).
    private string? _lastOffset;

    /// <summary>
    /// An emit to this socket alone. With recovery on it carries the socket's current offset as its last
    /// argument, as socket.io's do: the client takes a trailing string of any event as its offset, so an
    /// emit without one could make it ask to recover from a position that does not exist.
    /// </summary>
    private EncodedPacket EncodeDirect(string eventName, EmitArgs args, bool withOffset)
    {
        ReservedEvents.ThrowIfReserved(eventName);
        return withOffset && System.Threading.Volatile.Read(ref _lastOffset) is { } offset
            ? PacketEncoder.Event(Namespace.Name, eventName, [.. args.AsSpan(), offset])
            : PacketEncoder.Event(Namespace.Name, eventName, args.AsSpan());
    }

    /// <summary>Sends a <c>message</c> event (socket.io's <c>socket.send(...)</c>).</summary>
    public void Send(params EmitArgs args) => Emit("message", args);

    /// <summary>socket.io's <c>socket.write</c>, the same as <see cref="Send(EmitArgs)"/>.</summary>
    public void Write(params EmitArgs args) => Emit("message", args);

    /// <summary>An ack is one reply to one socket: it may go out on this thread (<see cref="EngineSession.SendDirect"/>).</summary>
    internal void SendAck(long ackId, EmitArgs args) => Send(PacketEncoder.Ack(Namespace.Name, ackId, args.AsSpan()), direct: true);

    /// <summary>Writes an encoded packet to this socket's connection.</summary>
    internal bool Send(EncodedPacket packet) => Send(packet, direct: false);

    /// <summary>Writes a packet the client must get before the CONNECT reply (what a recovered socket missed).</summary>
    internal bool SendBeforeConnect(EncodedPacket packet) => Send(packet, direct: false, compress: true, beforeConnect: true);

    /// <summary>Writes an encoded packet; <paramref name="compress"/> false keeps it out of permessage-deflate.</summary>
    internal bool Send(EncodedPacket packet, bool direct, bool compress = true, bool beforeConnect = false)
    {
        if (!Connected && !beforeConnect)
        {
            return false;
        }
        NotifyOutgoing(packet);
        if (packet.Offset is { } offset)
        {
            System.Threading.Volatile.Write(ref _lastOffset, offset);
        }
        var frame = Namespace.Server.Options.Parser.Frame(packet) with { NoCompress = !compress };
        return direct ? Client.Session.SendDirect(frame) : Client.Session.Send(frame);
    }
}
