using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.LoadGen.Wire;

/// <summary>
/// A Server-Sent Events subscriber on a raw socket: one HTTP/1.1 GET, a 200 response with
/// text/event-stream (plain or chunked), then each event's <c>data:</c> lines are handed up as one
/// message. Receive-only: <see cref="SendText"/> is not supported.
/// </summary>
internal sealed class SseConnection : WireConnection
{
    private Socket? _socket;
    private byte[] _buffer = new byte[4096];
    private int _filled;
    private bool _chunked;
    private long _chunkRemaining;
    private int _skipCrlf;
    private byte[] _lines = new byte[1024];
    private int _lineLength;
    private byte[] _data = new byte[1024];
    private int _dataLength;
    private bool _hasData;
    private volatile bool _closed;

    public override async Task ConnectAsync(Uri uri, CancellationToken cancellation)
    {
        var socket = SourceAddresses.NewSocket();
        _socket = socket;
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port), cancellation);
        var request = Encoding.ASCII.GetBytes(
            $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
        await socket.SendAsync(request, SocketFlags.None, cancellation);
        while (true)
        {
            var read = await socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cancellation);
            if (read == 0)
            {
                throw new IOException("connection closed before the SSE response head");
            }
            _filled += read;
            var end = _buffer.AsSpan(0, _filled).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                if (_filled == _buffer.Length)
                {
                    throw new IOException("HTTP response head too large");
                }
                continue;
            }
            var head = Encoding.ASCII.GetString(_buffer, 0, end);
            if (!head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && !head.StartsWith("HTTP/1.0 200", StringComparison.Ordinal))
            {
                throw new IOException($"SSE request refused: {head.Split("\r\n")[0]}");
            }
            if (!head.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException("SSE response is not text/event-stream");
            }
            _chunked = head.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase);
            var rest = _filled - (end + 4);
            _buffer.AsSpan(end + 4, rest).CopyTo(_buffer);
            _filled = rest;
            break;
        }
        _ = ReceiveLoopAsync();
    }

    private async Task ReceiveLoopAsync()
    {
        string? error = null;
        try
        {
            Consume();
            while (!_closed)
            {
                var read = await _socket!.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None);
                if (read == 0)
                {
                    break;
                }
                _filled += read;
                Consume();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or FormatException)
        {
            error = _closed ? null : ex.Message;
        }
        _closed = true;
        Handler.OnClosed(error);
    }

    /// <summary>Takes the body bytes out of the receive buffer (de-chunking if needed) into the line parser.</summary>
    private void Consume()
    {
        var input = _buffer.AsSpan(0, _filled);
        var offset = 0;
        if (!_chunked)
        {
            Parse(input);
            _filled = 0;
            return;
        }
        while (offset < input.Length)
        {
            if (_skipCrlf > 0)
            {
                offset++;
                _skipCrlf--;
                continue;
            }
            if (_chunkRemaining > 0)
            {
                var n = (int)Math.Min(_chunkRemaining, input.Length - offset);
                Parse(input.Slice(offset, n));
                offset += n;
                _chunkRemaining -= n;
                if (_chunkRemaining == 0)
                {
                    _skipCrlf = 2;
                }
                continue;
            }
            var eol = input[offset..].IndexOf("\r\n"u8);
            if (eol < 0)
            {
                break;
            }
            var sizeText = Encoding.ASCII.GetString(input.Slice(offset, eol)).Split(';')[0].Trim();
            _chunkRemaining = long.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            offset += eol + 2;
            if (_chunkRemaining == 0)
            {
                _closed = true;
                break;
            }
        }
        input[offset..].CopyTo(_buffer);
        _filled = input.Length - offset;
    }

    /// <summary>The event-stream grammar, enough of it: data lines joined by LF, dispatched at a blank line.</summary>
    private void Parse(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b != (byte)'\n')
            {
                if (_lineLength == _lines.Length)
                {
                    Array.Resize(ref _lines, _lines.Length * 2);
                }
                _lines[_lineLength++] = b;
                continue;
            }
            var line = _lines.AsSpan(0, _lineLength);
            if (line.Length > 0 && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }
            _lineLength = 0;
            if (line.IsEmpty)
            {
                if (_hasData)
                {
                    Handler.OnText(_data.AsSpan(0, _dataLength));
                }
                _dataLength = 0;
                _hasData = false;
            }
            else if (line.StartsWith("data:"u8))
            {
                var value = line[5..];
                if (!value.IsEmpty && value[0] == (byte)' ')
                {
                    value = value[1..];
                }
                var needed = _dataLength + value.Length + 1;
                if (needed > _data.Length)
                {
                    Array.Resize(ref _data, Math.Max(needed, _data.Length * 2));
                }
                if (_hasData)
                {
                    _data[_dataLength++] = (byte)'\n';
                }
                value.CopyTo(_data.AsSpan(_dataLength));
                _dataLength += value.Length;
                _hasData = true;
            }
        }
    }

    public override bool SendText(ReadOnlySpan<byte> utf8) => false;

    public override void Close()
    {
        _closed = true;
        try
        {
            _socket?.Dispose();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
