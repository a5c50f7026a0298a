using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Client;

/// <summary>Events from the server: handlers by name, catch-alls, and an asynchronous stream.</summary>
public sealed partial class ClientSocket
{
    private readonly Dictionary<string, List<Func<SocketIOEvent, ValueTask>>> _handlers = new(StringComparer.Ordinal);
    private readonly List<Func<SocketIOEvent, ValueTask>> _anyHandlers = [];
    private readonly List<Channel<SocketIOEvent>> _streams = [];
    private readonly List<SocketIOEvent> _receiveBuffer = [];

    /// <summary>
    /// Handles an event. Handlers run on the connection's reader, one event after the other, as in
    /// JavaScript: a handler that blocks holds up every later packet; one that throws is logged.
    /// </summary>
    public ClientSocket On(string eventName, Action<SocketIOEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On(eventName, e =>
        {
            handler(e);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>Handles an event with an asynchronous handler; it runs up to its first await on the reader, and its failure is logged.</summary>
    public ClientSocket On(string eventName, Func<SocketIOEvent, ValueTask> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlers)
        {
            if (!_handlers.TryGetValue(eventName, out var list))
            {
                _handlers[eventName] = list = [];
            }
            list.Add(handler);
        }
        return this;
    }

    /// <summary>Handles an event by its first argument, read as <typeparamref name="T"/> (default when there is none).</summary>
    public ClientSocket On<T>(string eventName, Action<T?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On(eventName, (SocketIOEvent e) => handler(e.Args.Count > 0 ? e.Args.Get<T>(0) : default));
    }

    /// <summary>Handles every event (socket.io-client's <c>onAny</c>), after the handlers by name.</summary>
    public ClientSocket OnAny(Action<SocketIOEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlers)
        {
            _anyHandlers.Add(e =>
            {
                handler(e);
                return ValueTask.CompletedTask;
            });
        }
        return this;
    }

    /// <summary>Removes every handler of an event.</summary>
    public ClientSocket Off(string eventName)
    {
        lock (_handlers)
        {
            _handlers.Remove(eventName);
        }
        return this;
    }

    /// <summary>
    /// Every event from the moment of this call, as an asynchronous stream that ends when
    /// <paramref name="cancellationToken"/> is cancelled. A reader that falls more than
    /// <see cref="SocketIOClientOptions.EventStreamCapacity"/> events behind loses the oldest.
    /// </summary>
    public IAsyncEnumerable<SocketIOEvent> ReadEventsAsync(CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<SocketIOEvent>(new BoundedChannelOptions(_client.Options.EventStreamCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        lock (_handlers)
        {
            _streams.Add(channel);
        }
        return ReadStream(channel, cancellationToken);
    }

    private async IAsyncEnumerable<SocketIOEvent> ReadStream(Channel<SocketIOEvent> channel, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var e))
                {
                    yield return e;
                }
            }
        }
        finally
        {
            lock (_handlers)
            {
                _streams.Remove(channel);
            }
        }
    }

    private void OnEvent(SocketPacket packet, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (!ReceivedArguments.TryCreate(packet.Data, hasName: true, attachments, out var name, out var args))
        {
            return;
        }
        var e = new SocketIOEvent(this, name!, args!, packet.AckId);
        lock (_lock)
        {
            if (!IsConnected)
            {
                if (Active)
                {
                    _receiveBuffer.Add(e);
                }
                return;
            }
        }
        Dispatch(e);
    }

    private void Dispatch(SocketIOEvent e)
    {
        if (_pid is not null && e.Args.LastString() is { } offset)
        {
            // A server with connection state recovery appends the event's offset (socket.io-client's rule: the last string argument).
            _lastOffset = offset;
        }
        Func<SocketIOEvent, ValueTask>[] handlers;
        Channel<SocketIOEvent>[] streams;
        lock (_handlers)
        {
            handlers = _handlers.TryGetValue(e.Name, out var list) ? [.. list, .. _anyHandlers] : [.. _anyHandlers];
            streams = [.. _streams];
        }
        foreach (var handler in handlers)
        {
            try
            {
                var pending = handler(e);
                if (!pending.IsCompletedSuccessfully)
                {
                    _ = ObserveAsync(pending, e.Name);
                }
            }
            catch (Exception ex)
            {
                Logger.HandlerFailed(e.Name, Namespace, ex);
            }
        }
        foreach (var stream in streams)
        {
            stream.Writer.TryWrite(e);
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
            Logger.HandlerFailed(eventName, Namespace, ex);
        }
    }
}
