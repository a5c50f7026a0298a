using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.AspNetCore.Transports.Direct;

/// <summary>The read side: frames parsed off the pipe, unmasked into the caller's buffer, control frames answered here.</summary>
internal sealed partial class PipeWebSocket
{
    // The data frame being read: its payload not yet handed out, its mask and where in it the mask stands.
    private bool _inFrame;
    private long _frameRemaining;
    private bool _frameFin;
    private uint _frameMask;
    private int _maskOffset;

    // The message being read (it may span several frames).
    private bool _inMessage;
    private WebSocketMessageType _messageType;
    private long _messageLength;
    private Utf8Validator _utf8;

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return result.MessageType == WebSocketMessageType.Close
            ? new WebSocketReceiveResult(0, WebSocketMessageType.Close, true, _closeStatus, _closeDescription)
            : new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage);
    }

    /// <summary>
    /// As <see cref="ClientWebSocket"/> and ASP.NET Core's sockets do: a read into an empty buffer waits for
    /// the next data frame's header (and reports a whole empty message when that frame is one); a read into
    /// a buffer returns what of the current frame is there, at most the buffer.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_state is not (WebSocketState.Open or WebSocketState.CloseSent))
            {
                throw new WebSocketException(WebSocketError.InvalidState, $"The WebSocket is {_state}.");
            }
            if (!_inFrame)
            {
                // The header is read here, not in a method of its own: an idle connection waits in this one
                // (pooled) state machine only.
                WebSocketFrameHeader header;
                while (true)
                {
                    ReadResult pending;
                    try
                    {
                        pending = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        throw Broken(ex);
                    }
                    var headerRead = Checked(pending);
                    if (WebSocketFrameHeader.TryRead(headerRead.Buffer, out header))
                    {
                        _input.AdvanceTo(headerRead.Buffer.GetPosition(header.Length));
                        break;
                    }
                    _input.AdvanceTo(headerRead.Buffer.Start, headerRead.Buffer.End);
                    if (headerRead.IsCompleted)
                    {
                        throw Lost();
                    }
                }
                if (OnFrameHeader(header) is { } failure)
                {
                    await FailAsync(failure.Code, failure.Reason).ConfigureAwait(false);
                }
                if (header.IsControl)
                {
                    if (await ReadControlFrameAsync(header, cancellationToken).ConfigureAwait(false))
                    {
                        return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, true);
                    }
                    continue;
                }
            }
            if (_frameRemaining == 0)
            {
                _inFrame = false;
                if (!_frameFin)
                {
                    continue;
                }
                await EndMessageAsync().ConfigureAwait(false);
                return new ValueWebSocketReceiveResult(0, _messageType, true);
            }
            if (buffer.IsEmpty)
            {
                return new ValueWebSocketReceiveResult(0, _messageType, false);
            }
            ReadResult read;
            try
            {
                read = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw Broken(ex);
            }
            var available = Checked(read).Buffer;
            var count = (int)Math.Min(Math.Min(buffer.Length, _frameRemaining), available.Length);
            var target = buffer.Span[..count];
            available.Slice(0, count).CopyTo(target);
            _input.AdvanceTo(available.GetPosition(count));
            _maskOffset = WebSocketMask.Apply(target, _frameMask, _maskOffset);
            _frameRemaining -= count;
            if (_messageType == WebSocketMessageType.Text && !_utf8.Append(target))
            {
                await FailAsync(WebSocketCloseCode.InvalidPayload, "invalid UTF-8 in a text message").ConfigureAwait(false);
            }
            var end = _frameRemaining == 0 && _frameFin;
            if (_frameRemaining == 0)
            {
                _inFrame = false;
            }
            if (end)
            {
                await EndMessageAsync().ConfigureAwait(false);
            }
            return new ValueWebSocketReceiveResult(count, _messageType, end);
        }
    }

    /// <summary>A message ends: a text message must end on a character boundary.</summary>
    private ValueTask EndMessageAsync()
    {
        _inMessage = false;
        return _messageType == WebSocketMessageType.Text && !_utf8.IsComplete
            ? FailAsync(WebSocketCloseCode.InvalidPayload, "invalid UTF-8 in a text message")
            : ValueTask.CompletedTask;
    }

    /// <summary>
    /// Takes the next frame's header: a data frame becomes the current frame (a control frame is read whole by
    /// the caller); the close code and reason when the frame breaks the rules or the message grows too large.
    /// </summary>
    private (ushort Code, string Reason)? OnFrameHeader(in WebSocketFrameHeader header)
    {
        if (header.Check(_inMessage) is { } violation)
        {
            return (WebSocketCloseCode.ProtocolError, violation);
        }
        if (header.IsControl)
        {
            return null;
        }
        if (header.Opcode != WebSocketOpcode.Continuation)
        {
            _messageType = header.Opcode == WebSocketOpcode.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
            _messageLength = 0;
            _utf8.Reset();
        }
        _inMessage = !header.Fin;
        _messageLength += header.PayloadLength;
        if (_messageLength > maxMessageSize)
        {
            return (WebSocketCloseCode.MessageTooBig, "message too big");
        }
        _inFrame = true;
        _frameRemaining = header.PayloadLength;
        _frameFin = header.Fin;
        _frameMask = header.Mask;
        _maskOffset = 0;
        return null;
    }

    private async ValueTask<bool> ReadControlFrameAsync(WebSocketFrameHeader header, CancellationToken cancellation)
    {
        var length = (int)header.PayloadLength;
        var payload = length == 0 ? [] : new byte[length];
        var at = 0;
        while (at < length)
        {
            var read = await ReadInputAsync(cancellation).ConfigureAwait(false);
            var count = (int)Math.Min(length - at, read.Buffer.Length);
            read.Buffer.Slice(0, count).CopyTo(payload.AsSpan(at));
            _input.AdvanceTo(read.Buffer.GetPosition(count));
            at += count;
        }
        WebSocketMask.Apply(payload, header.Mask, 0);
        switch (header.Opcode)
        {
            case WebSocketOpcode.Ping:
                await SendControlAsync(WebSocketOpcode.Pong, payload).ConfigureAwait(false);
                return false;
            case WebSocketOpcode.Pong:
                OnPong();
                return false;
        }
        // The client's close: answered with its own code (1000 when it gave none), or failed with 1002 / 1007.
        var answer = WebSocketClosePayload.Read(payload, out var code);
        if (answer is WebSocketCloseCode.ProtocolError or WebSocketCloseCode.InvalidPayload && answer != code)
        {
            await FailAsync(answer, answer == WebSocketCloseCode.ProtocolError ? "invalid close code" : "invalid UTF-8 in the close reason").ConfigureAwait(false);
        }
        _closeStatus = (WebSocketCloseStatus)(code == WebSocketCloseCode.NoStatus ? WebSocketCloseCode.NoStatus : code);
        _closeDescription = payload.Length > 2 ? System.Text.Encoding.UTF8.GetString(payload.AsSpan(2)) : "";
        if (Volatile.Read(ref _closeSent) == 1)
        {
            _state = WebSocketState.Closed;
        }
        else
        {
            _state = WebSocketState.CloseReceived;
            // RFC 6455 §5.5.1: the close is answered; the transport's close that follows then sends nothing.
            await CloseOutputCoreAsync(answer, null).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>The next bytes of the connection (for a control frame's payload); a connection that ended or was aborted is an exception.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReadInputAsync(CancellationToken cancellation)
    {
        try
        {
            return Checked(await _input.ReadAsync(cancellation).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not (WebSocketException or OperationCanceledException) || (ex is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            throw Broken(ex);
        }
    }

    /// <summary>A read that may be used: not cancelled (an abort), not the end of the connection.</summary>
    private ReadResult Checked(ReadResult read)
    {
        if (read.IsCanceled)
        {
            _state = WebSocketState.Aborted;
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The WebSocket was aborted.");
        }
        if (read.Buffer.IsEmpty && read.IsCompleted)
        {
            _input.AdvanceTo(read.Buffer.End);
            throw Lost();
        }
        return read;
    }

    /// <summary>The connection failed under a read (reset, aborted by Kestrel).</summary>
    private WebSocketException Broken(Exception error)
    {
        _state = WebSocketState.Aborted;
        return new WebSocketException(WebSocketError.ConnectionClosedPrematurely, error);
    }

    private WebSocketException Lost()
    {
        if (_state != WebSocketState.Closed)
        {
            _state = WebSocketState.Aborted;
        }
        return Closed();
    }

    /// <summary>
    /// Fails the connection (RFC 6455 §7.1.7): a close frame with <paramref name="code"/> goes out, nothing more
    /// is read or sent, and the reader gets an exception; the connection ends when its transport does.
    /// </summary>
    private async ValueTask FailAsync(ushort code, string reason)
    {
        try
        {
            await CloseOutputCoreAsync(code, reason).ConfigureAwait(false);
        }
        catch (WebSocketException)
        {
        }
        _state = WebSocketState.Closed;
        _closeStatus = (WebSocketCloseStatus)code;
        _closeDescription = reason;
        ProtocolViolation = reason;
        throw new WebSocketException(WebSocketError.Faulted, $"Closed with {code}: {reason}");
    }

    /// <summary>Why this socket failed the client (null while it has not): the transport logs it.</summary>
    public string? ProtocolViolation { get; private set; }
}
