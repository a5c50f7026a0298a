using System.Buffers;

namespace Switchboard.AspNetCore.Shared;

/// <summary>
/// The stream under a server WebSocket that lets the writer send a batch of messages as one write to
/// the connection. <see cref="System.Net.WebSockets.WebSocket"/> writes each frame to its stream with
/// one <c>WriteAsync</c>, and Kestrel flushes every write on its own; between <see cref="Gather"/> and
/// the write after <see cref="ReleaseWithNextWrite"/>, frames are copied into a rented buffer instead
/// and reach the connection together, with one flush. Outside a batch, writes go straight through, so
/// the socket's own control frames (a close, a pong) are never held back. The writer bounds a batch
/// (<see cref="WebSocketWriter.MaxBatchMessages"/>, <see cref="WebSocketWriter.MaxBatchBytes"/>),
/// so the held buffer stays small and a backlog still waits for the connection between batches.
/// </summary>
/// <remarks>
/// The WebSocket serializes every write to this stream (its send lock), so writes never overlap; the
/// flags are set by the one writer loop between its sends. A control frame the socket sends in the
/// middle of a batch joins the batch, in order, and leaves with it.
/// </remarks>
internal sealed class GatheringStream(Stream inner) : Stream, IWriteBatching
{
    private const int InitialBuffer = 4096;

    private byte[]? _buffer;
    private int _length;
    private volatile bool _gathering;
    private volatile bool _releasing;

    /// <summary>From now on, writes are held until the one after <see cref="ReleaseWithNextWrite"/>.</summary>
    public void Gather()
    {
        _releasing = false;
        _gathering = true;
    }

    /// <summary>The next write is the batch's last: it goes out together with everything held.</summary>
    public void ReleaseWithNextWrite() => _releasing = true;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_gathering)
        {
            return inner.WriteAsync(buffer, cancellationToken);
        }
        Append(buffer.Span);
        if (!_releasing)
        {
            return ValueTask.CompletedTask;
        }
        _gathering = false;
        _releasing = false;
        return WriteHeldAsync(cancellationToken);
    }

    private async ValueTask WriteHeldAsync(CancellationToken cancellation)
    {
        var held = _buffer!;
        var length = _length;
        _buffer = null;
        _length = 0;
        try
        {
            await inner.WriteAsync(held.AsMemory(0, length), cancellation).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(held);
        }
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(InitialBuffer, data.Length));
        }
        else if (_buffer.Length - _length < data.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + data.Length));
            _buffer.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        data.CopyTo(_buffer.AsSpan(_length));
        _length += data.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _gathering ? Task.CompletedTask : inner.FlushAsync(cancellationToken);

    public override void Flush()
    {
        if (!_gathering)
        {
            inner.Flush();
        }
    }

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_buffer is { } held)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(held);
            }
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
