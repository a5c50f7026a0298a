using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.LoadGen.Wire;

/// <summary>
/// A WebSocket client on a raw socket with its own minimal RFC 6455 framing: one receive buffer per
/// connection, several frames parsed per receive, masked text frames sent with one syscall. It is the
/// generator's cheap path; it trusts the server (a bench server) and checks only what it must.
/// </summary>
internal sealed class RawWebSocket : WireConnection
{
    private static readonly byte[] MaskKey = [0x5A, 0x3C, 0x96, 0xE1];

    [ThreadStatic] private static byte[]? t_sendBuffer;

    private readonly Lock _sendLock = new();
    private Socket? _socket;
    private byte[] _buffer = new byte[4096];
    private int _filled;
    private byte[]? _fragments;
    private int _fragmentLength;
    private volatile bool _closed;

    public override async Task ConnectAsync(Uri uri, CancellationToken cancellation)
    {
        var socket = SourceAddresses.NewSocket();
        _socket = socket;
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port), cancellation);
        var request = Encoding.ASCII.GetBytes(
            $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: c3dpdGNoYm9hcmRiZW5jaA==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        await socket.SendAsync(request, SocketFlags.None, cancellation);
        while (true)
        {
            var read = await socket.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None, cancellation);
            if (read == 0)
            {
                throw new IOException("connection closed during the WebSocket handshake");
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
            if (!_buffer.AsSpan().StartsWith("HTTP/1.1 101"u8))
            {
                var line = Encoding.ASCII.GetString(_buffer, 0, Math.Min(_filled, _buffer.AsSpan(0, _filled).IndexOf("\r\n"u8) is var n and > 0 ? n : _filled));
                throw new IOException($"WebSocket upgrade refused: {line}");
            }
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
            // Frames that arrived with the upgrade response.
            ParseFrames();
            while (!_closed)
            {
                if (_filled == _buffer.Length)
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
                // Not under the orchestration's context: with --pacing epoll the frames are parsed inline on the
                // socket engine's thread, as an epoll generator's loop does (GeneratorSockets).
                var read = await _socket!.ReceiveAsync(_buffer.AsMemory(_filled), SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                _filled += read;
                ParseFrames();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            error = _closed ? null : ex.Message;
        }
        _closed = true;
        Handler.OnClosed(error);
    }

    private void ParseFrames()
    {
        var offset = 0;
        while (_filled - offset >= 2)
        {
            var frame = _buffer.AsSpan(offset, _filled - offset);
            var fin = (frame[0] & 0x80) != 0;
            var opcode = frame[0] & 0x0F;
            long length = frame[1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                if (frame.Length < 4)
                {
                    break;
                }
                length = BinaryPrimitives.ReadUInt16BigEndian(frame[2..]);
                header = 4;
            }
            else if (length == 127)
            {
                if (frame.Length < 10)
                {
                    break;
                }
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(frame[2..]);
                header = 10;
            }
            if ((frame[1] & 0x80) != 0)
            {
                throw new IOException("masked frame from the server");
            }
            if (length > 64 << 20)
            {
                throw new IOException("frame too large");
            }
            if (frame.Length < header + length)
            {
                if (offset == 0 && header + length > _buffer.Length)
                {
                    Array.Resize(ref _buffer, (int)Math.Max(_buffer.Length * 2L, header + length));
                }
                break;
            }
            var payload = frame.Slice(header, (int)length);
            offset += header + (int)length;
            switch (opcode)
            {
                case 0x0:
                    AppendFragment(payload);
                    if (fin)
                    {
                        Handler.OnText(_fragments.AsSpan(0, _fragmentLength));
                        _fragmentLength = 0;
                    }
                    break;
                case 0x1 or 0x2:
                    if (fin)
                    {
                        Handler.OnText(payload);
                    }
                    else
                    {
                        _fragmentLength = 0;
                        AppendFragment(payload);
                    }
                    break;
                case 0x8:
                    SendFrame(0x8, payload.Length >= 2 ? payload[..2] : []);
                    _closed = true;
                    _socket?.Dispose();
                    return;
                case 0x9:
                    SendFrame(0xA, payload);
                    break;
            }
        }
        if (offset > 0)
        {
            _buffer.AsSpan(offset, _filled - offset).CopyTo(_buffer);
            _filled -= offset;
        }
    }

    private void AppendFragment(ReadOnlySpan<byte> payload)
    {
        _fragments ??= new byte[Math.Max(4096, payload.Length)];
        if (_fragmentLength + payload.Length > _fragments.Length)
        {
            Array.Resize(ref _fragments, Math.Max(_fragments.Length * 2, _fragmentLength + payload.Length));
        }
        payload.CopyTo(_fragments.AsSpan(_fragmentLength));
        _fragmentLength += payload.Length;
    }

    public override bool SendText(ReadOnlySpan<byte> utf8) => SendFrame(0x1, utf8);

    private bool SendFrame(int opcode, ReadOnlySpan<byte> payload)
    {
        if (_closed || _socket is null)
        {
            return false;
        }
        var header = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var size = header + 4 + payload.Length;
        var buffer = t_sendBuffer;
        if (buffer is null || buffer.Length < size)
        {
            t_sendBuffer = buffer = new byte[Math.Max(4096, size)];
        }
        buffer[0] = (byte)(0x80 | opcode);
        if (header == 2)
        {
            buffer[1] = (byte)(0x80 | payload.Length);
        }
        else if (header == 4)
        {
            buffer[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            buffer[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(2), (ulong)payload.Length);
        }
        MaskKey.CopyTo(buffer.AsSpan(header));
        var body = buffer.AsSpan(header + 4, payload.Length);
        for (var i = 0; i < payload.Length; i++)
        {
            body[i] = (byte)(payload[i] ^ MaskKey[i & 3]);
        }
        try
        {
            lock (_sendLock)
            {
                _socket.Send(buffer, 0, size, SocketFlags.None);
            }
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

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
