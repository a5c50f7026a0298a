using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using Switchboard.AspNetCore.Shared;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.AspNetCore.Transports.Direct;

/// <summary>
/// The write side: frames written straight into the connection's pipe under one send lock (the write loop,
/// a reply sent directly, and the reader's pongs and close answers share the pipe); one flush per batch.
/// </summary>
internal sealed partial class PipeWebSocket
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private volatile bool _gathering;
    private volatile bool _releasing;
    private bool _sendingFragments;

    /// <inheritdoc cref="GatheringStream.Gather"/>
    public void Gather()
    {
        _releasing = false;
        _gathering = true;
    }

    /// <inheritdoc cref="GatheringStream.ReleaseWithNextWrite"/>
    public void ReleaseWithNextWrite() => _releasing = true;

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage ? WebSocketMessageFlags.EndOfMessage : WebSocketMessageFlags.None, cancellationToken).AsTask();

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer, messageType, endOfMessage ? WebSocketMessageFlags.EndOfMessage : WebSocketMessageFlags.None, cancellationToken);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, WebSocketMessageFlags messageFlags, CancellationToken cancellationToken)
    {
        var fin = (messageFlags & WebSocketMessageFlags.EndOfMessage) != 0;
        var opcode = _sendingFragments ? WebSocketOpcode.Continuation
            : messageType == WebSocketMessageType.Text ? WebSocketOpcode.Text : WebSocketOpcode.Binary;
        _sendingFragments = !fin;
        return SendFrameAsync(opcode, buffer, fin);
    }

    private ValueTask SendControlAsync(WebSocketOpcode opcode, ReadOnlyMemory<byte> payload) => SendFrameAsync(opcode, payload, true, force: true);

    /// <summary>Writes one frame; the pipe is flushed unless a batch is being gathered (a control frame always flushes).</summary>
    private ValueTask SendFrameAsync(WebSocketOpcode opcode, ReadOnlyMemory<byte> payload, bool fin, bool force = false)
    {
        if (!_sendLock.Wait(0))
        {
            return SendFrameLockedAsync(opcode, payload, fin, force);
        }
        var release = true;
        try
        {
            if (_state is not (WebSocketState.Open or WebSocketState.CloseReceived))
            {
                throw new WebSocketException(WebSocketError.InvalidState, $"The WebSocket is {_state}.");
            }
            Write(opcode, payload, fin);
            if (!force && _gathering && !_releasing)
            {
                return ValueTask.CompletedTask;
            }
            _gathering = false;
            _releasing = false;
            var flush = _output.FlushAsync();
            if (flush.IsCompletedSuccessfully)
            {
                return flush.Result.IsCompleted ? throw Lost() : ValueTask.CompletedTask;
            }
            release = false;
            return AwaitFlushAsync(flush);
        }
        finally
        {
            if (release)
            {
                _sendLock.Release();
            }
        }
    }

    /// <summary>Another send holds the pipe (a pong from the reader while the writer writes): wait for it, then write.</summary>
    private async ValueTask SendFrameLockedAsync(WebSocketOpcode opcode, ReadOnlyMemory<byte> payload, bool fin, bool force)
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        _sendLock.Release();
        await SendFrameAsync(opcode, payload, fin, force).ConfigureAwait(false);
    }

    private async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            FlushResult result;
            try
            {
                result = await flush.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, ex);
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                throw Lost();
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private static long s_prebuiltWritten;

    /// <summary>Whether <see cref="PrebuiltFramesWritten"/> counts (tests turn it on; off, the hot path shares no counter between threads).</summary>
    internal static volatile bool CountPrebuilt;

    /// <summary>How many frames went out as built beforehand (a broadcast's, <see cref="IsPrebuilt"/>), in this process.</summary>
    internal static long PrebuiltFramesWritten => Interlocked.Read(ref s_prebuiltWritten);

    /// <summary>
    /// Whether the payload's array holds, right before it, the very header this frame needs (a broadcast's
    /// frame built once for every recipient: <c>EncodedPacket.PrebuildWebSocketFrame</c>); then header and
    /// payload go into the pipe as one span. Bytes equal to the header are the header, so the check cannot
    /// send anything other than what writing the header would.
    /// </summary>
    private static bool IsPrebuilt(ReadOnlyMemory<byte> payload, WebSocketOpcode opcode, bool fin, int size, out ReadOnlySpan<byte> whole)
    {
        whole = default;
        if (!MemoryMarshal.TryGetArray(payload, out var segment) || segment.Offset < size)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[WebSocketFrameHeader.MaxLength];
        WebSocketFrameHeader.Write(header, opcode, segment.Count, fin);
        var candidate = segment.Array.AsSpan(segment.Offset - size, size + segment.Count);
        if (!candidate[..size].SequenceEqual(header[..size]))
        {
            return false;
        }
        whole = candidate;
        return true;
    }

    private void Write(WebSocketOpcode opcode, ReadOnlyMemory<byte> payloadMemory, bool fin)
    {
        var payload = payloadMemory.Span;
        var size = WebSocketFrameHeader.SizeOf(payload.Length);
        if (IsPrebuilt(payloadMemory, opcode, fin, size, out var whole))
        {
            _output.Write(whole);
            if (CountPrebuilt)
            {
                Interlocked.Increment(ref s_prebuiltWritten);
            }
            return;
        }
        var span = _output.GetSpan(size + Math.Min(payload.Length, 4096));
        WebSocketFrameHeader.Write(span, opcode, payload.Length, fin);
        if (payload.Length <= span.Length - size)
        {
            payload.CopyTo(span[size..]);
            _output.Advance(size + payload.Length);
            return;
        }
        _output.Advance(size);
        _output.Write(payload);
    }

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        CloseOutputCoreAsync((ushort)closeStatus, statusDescription).AsTask();

    /// <summary>
    /// Sends the one close frame of this socket (a second call, from the reader answering the client's close while
    /// the writer closes, sends nothing); the state moves to CloseSent, or Closed after the client's close.
    /// </summary>
    private async ValueTask CloseOutputCoreAsync(ushort code, string? reason)
    {
        if (_state is not (WebSocketState.Open or WebSocketState.CloseReceived) || Interlocked.Exchange(ref _closeSent, 1) == 1)
        {
            return;
        }
        var payload = new byte[WebSocketFrameHeader.MaxControlPayload];
        var length = code == WebSocketCloseCode.NoStatus ? 0 : WebSocketClosePayload.Write(payload, code, reason is null ? default : Encoding.UTF8.GetBytes(reason));
        await SendFrameAsync(WebSocketOpcode.Close, payload.AsMemory(0, length), true, force: true).ConfigureAwait(false);
        _state = _state == WebSocketState.CloseReceived ? WebSocketState.Closed : WebSocketState.CloseSent;
    }

    /// <summary>Whether the close frame went out (1), set once.</summary>
    private int _closeSent;
}
