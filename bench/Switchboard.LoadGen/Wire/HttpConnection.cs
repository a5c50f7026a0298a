using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.LoadGen.Wire;

/// <summary>
/// A minimal keep-alive HTTP/1.1 client on a raw socket, one request at a time: the polling clients'
/// wire (Engine.IO long-polling, the channel long-poll). It reads a response with a Content-Length or a
/// chunked body into one growing buffer, and reconnects when the server closed an idle keep-alive
/// connection before the request (Node closes them after 5 s). It trusts the server (a bench server).
/// </summary>
internal sealed class HttpConnection(Uri server) : IDisposable
{
    private Socket? _socket;
    private byte[] _buffer = new byte[4096];
    private int _filled;
    private volatile bool _disposed;

    /// <summary>The body of the last response; valid until the next request.</summary>
    public ReadOnlySpan<byte> Body => _buffer.AsSpan(_bodyStart, _bodyLength);

    private int _bodyStart;
    private int _bodyLength;

    /// <summary>Sends a request (GET without a body, POST with one) and reads the response; returns its status.</summary>
    public async Task<int> SendAsync(string method, string pathAndQuery, ReadOnlyMemory<byte> body, CancellationToken cancellation = default)
    {
        var head = Encoding.ASCII.GetBytes(body.IsEmpty && method == "GET"
            ? $"{method} {pathAndQuery} HTTP/1.1\r\nHost: {server.Authority}\r\n\r\n"
            : $"{method} {pathAndQuery} HTTP/1.1\r\nHost: {server.Authority}\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {body.Length}\r\n\r\n");
        var request = new byte[head.Length + body.Length];
        head.CopyTo(request, 0);
        body.Span.CopyTo(request.AsSpan(head.Length));
        // A kept-alive connection may have been closed by the server meanwhile: one fresh retry.
        for (var attempt = 0; ; attempt++)
        {
            var reused = _socket is not null;
            try
            {
                if (_socket is null)
                {
                    var socket = SourceAddresses.NewSocket();
                    _socket = socket;
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(server.Host), server.Port), cancellation);
                }
                await _socket.SendAsync(request, SocketFlags.None, cancellation);
                return await ReadResponseAsync(cancellation);
            }
            catch (Exception ex) when (reused && attempt == 0 && !_disposed && ex is SocketException or IOException { Data.Count: 0 } && _filled == 0)
            {
                Reset();
            }
            catch (ObjectDisposedException) when (_disposed)
            {
                throw new IOException("closed");
            }
        }
    }

    private async Task<int> ReadResponseAsync(CancellationToken cancellation)
    {
        _filled = 0;
        int headEnd;
        while ((headEnd = _buffer.AsSpan(0, _filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            await ReceiveAsync(cancellation);
        }
        var head = Encoding.ASCII.GetString(_buffer, 0, headEnd);
        if (head.Length < 12 || !int.TryParse(head.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            throw Protocol($"malformed HTTP response: {head.Split("\r\n")[0]}");
        }
        var start = headEnd + 4;
        var close = head.Contains("\r\nconnection: close", StringComparison.OrdinalIgnoreCase);
        if (head.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            await ReadChunkedAsync(start, cancellation);
        }
        else
        {
            var at = head.IndexOf("content-length:", StringComparison.OrdinalIgnoreCase);
            var length = 0;
            if (at >= 0)
            {
                var end = head.IndexOf('\r', at);
                length = int.Parse(head.AsSpan(at + 15, (end < 0 ? head.Length : end) - at - 15).Trim(), CultureInfo.InvariantCulture);
            }
            while (_filled < start + length)
            {
                await ReceiveAsync(cancellation);
            }
            _bodyStart = start;
            _bodyLength = length;
        }
        if (close)
        {
            Reset();
        }
        return status;
    }

    /// <summary>De-chunks the body in place, right after the head.</summary>
    private async Task ReadChunkedAsync(int start, CancellationToken cancellation)
    {
        var write = start;
        var read = start;
        while (true)
        {
            int eol;
            while ((eol = _buffer.AsSpan(read, _filled - read).IndexOf("\r\n"u8)) < 0)
            {
                await ReceiveAsync(cancellation);
            }
            var sizeText = _buffer.AsSpan(read, eol);
            var semicolon = sizeText.IndexOf((byte)';');
            if (semicolon >= 0)
            {
                sizeText = sizeText[..semicolon];
            }
            var size = int.Parse(Encoding.ASCII.GetString(sizeText).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            read += eol + 2;
            while (_filled < read + size + 2)
            {
                await ReceiveAsync(cancellation);
            }
            if (size == 0)
            {
                break;
            }
            _buffer.AsSpan(read, size).CopyTo(_buffer.AsSpan(write));
            write += size;
            read += size + 2;
        }
        _bodyStart = start;
        _bodyLength = write - start;
    }

    private async Task ReceiveAsync(CancellationToken cancellation)
    {
        if (_filled == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        var n = await _socket!.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cancellation);
        if (n == 0)
        {
            throw new IOException("connection closed by the server");
        }
        _filled += n;
    }

    private static IOException Protocol(string message)
    {
        var ex = new IOException(message);
        ex.Data["protocol"] = true;
        return ex;
    }

    private void Reset()
    {
        try
        {
            _socket?.Dispose();
        }
        catch (SocketException)
        {
        }
        _socket = null;
        _filled = 0;
    }

    public void Dispose()
    {
        _disposed = true;
        Reset();
    }
}
