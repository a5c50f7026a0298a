using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace Switchboard.AspNetCore.Shared;

internal enum WebSocketReadKind
{
    Message,

    /// <summary>The client's close frame arrived.</summary>
    Closed,

    /// <summary>The message passed the size limit; the rest of it is unread.</summary>
    TooLarge,
}

/// <summary>One read of a <see cref="WebSocketMessageReader"/>: the data is valid until the next read.</summary>
internal readonly record struct WebSocketRead(WebSocketReadKind Kind, WebSocketMessageType Type = default, ReadOnlyMemory<byte> Data = default);

/// <summary>
/// Reads whole WebSocket messages of at most a given size, for every protocol over WebSocket (Engine.IO
/// and the plain protocol). While idle it holds no buffer: it waits with a zero-byte read and rents a
/// buffer only once data has arrived, and it never reads more than the limit (plus one byte, to tell
/// "exactly the limit" from "over it"), even into a larger rented array.
/// </summary>
internal sealed class WebSocketMessageReader(WebSocket socket, long maxMessageSize) : IDisposable
{
    private readonly int _capacity = (int)Math.Min(maxMessageSize + 1, Array.MaxLength);
    private byte[]? _buffer;

    public async ValueTask<WebSocketRead> ReadAsync(CancellationToken cancellation) =>
        await ReadRestAsync(await WaitAsync(cancellation), cancellation);

    /// <summary>
    /// The zero-byte read that waits for the next message. When nothing is buffered the reader lets go of
    /// its buffer first; when the next message is already there, it keeps the previous one's. A read loop
    /// awaits this directly, so no state machine of the reader waits with it.
    /// </summary>
    public ValueTask<ValueWebSocketReceiveResult> WaitAsync(CancellationToken cancellation)
    {
        var waiting = socket.ReceiveAsync(Memory<byte>.Empty, cancellation);
        if (!waiting.IsCompleted)
        {
            ReturnBuffer();
        }
        return waiting;
    }

    /// <summary>The rest of the message whose arrival <see cref="WaitAsync"/> reported.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<WebSocketRead> ReadRestAsync(ValueWebSocketReceiveResult zero, CancellationToken cancellation)
    {
        if (zero.MessageType == WebSocketMessageType.Close)
        {
            return new WebSocketRead(WebSocketReadKind.Closed);
        }
        if (zero.EndOfMessage)
        {
            // The zero-byte read consumed a whole, empty message.
            return new WebSocketRead(WebSocketReadKind.Message, zero.MessageType, ReadOnlyMemory<byte>.Empty);
        }
        _buffer ??= ArrayPool<byte>.Shared.Rent(Math.Min(4096, _capacity));
        var length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(_buffer.Length * 2L, _capacity));
                _buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            var room = Math.Min(_buffer.Length, _capacity) - length;
            var result = await socket.ReceiveAsync(_buffer.AsMemory(length, room), cancellation);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new WebSocketRead(WebSocketReadKind.Closed);
            }
            length += result.Count;
            if (length > maxMessageSize)
            {
                return new WebSocketRead(WebSocketReadKind.TooLarge);
            }
            if (result.EndOfMessage)
            {
                return new WebSocketRead(WebSocketReadKind.Message, result.MessageType, _buffer.AsMemory(0, length));
            }
        }
    }

    /// <summary>Reads and drops whatever the client still sends until its close frame arrives.</summary>
    public async Task DiscardUntilClosedAsync(CancellationToken cancellation)
    {
        _buffer ??= ArrayPool<byte>.Shared.Rent(4096);
        while ((await socket.ReceiveAsync(_buffer.AsMemory(), cancellation).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
        {
        }
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    public void Dispose() => ReturnBuffer();
}
