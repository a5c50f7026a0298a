using System.Buffers;
using System.Net.WebSockets;

namespace Switchboard.AspNetCore.Channels;

internal enum PlainWebSocketReadKind
{
    Message,

    /// <summary>The client's close frame arrived.</summary>
    Closed,

    /// <summary>The message passed the size limit; the rest of it is unread.</summary>
    TooLarge,
}

internal readonly record struct PlainWebSocketRead(PlainWebSocketReadKind Kind, WebSocketMessageType Type = default, ReadOnlyMemory<byte> Data = default);

/// <summary>
/// Reads whole messages of at most a given size. While idle it holds no buffer: it waits with a
/// zero-byte read and rents one only once data has arrived; the data returned is valid until the next read.
/// </summary>
internal sealed class PlainWebSocketMessageReader(WebSocket socket, int maxMessageSize) : IDisposable
{
    private byte[]? _buffer;

    public async ValueTask<PlainWebSocketRead> ReadAsync(CancellationToken cancellationToken)
    {
        ReturnBuffer();
        var first = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return new PlainWebSocketRead(PlainWebSocketReadKind.Closed);
        }
        if (first.EndOfMessage)
        {
            return new PlainWebSocketRead(PlainWebSocketReadKind.Message, first.MessageType, ReadOnlyMemory<byte>.Empty);
        }
        // One byte more than the limit, to tell "exactly the limit" from "over it".
        var capacity = maxMessageSize + 1;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(4096, capacity));
        var length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, capacity));
                _buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            // Never read past the limit (plus one), even into a larger rented array.
            var room = Math.Min(_buffer.Length, capacity) - length;
            var result = await socket.ReceiveAsync(_buffer.AsMemory(length, room), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return new PlainWebSocketRead(PlainWebSocketReadKind.Closed);
            }
            length += result.Count;
            if (length > maxMessageSize)
            {
                return new PlainWebSocketRead(PlainWebSocketReadKind.TooLarge);
            }
            if (result.EndOfMessage)
            {
                return new PlainWebSocketRead(PlainWebSocketReadKind.Message, result.MessageType, _buffer.AsMemory(0, length));
            }
        }
    }

    /// <summary>Reads and drops whatever the client still sends until its close frame arrives.</summary>
    public async Task DiscardUntilClosedAsync(CancellationToken cancellationToken)
    {
        ReturnBuffer();
        _buffer = ArrayPool<byte>.Shared.Rent(4096);
        while ((await socket.ReceiveAsync(_buffer.AsMemory(), cancellationToken).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
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
