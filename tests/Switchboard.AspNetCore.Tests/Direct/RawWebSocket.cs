using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.Direct;

/// <summary>One frame as a raw client reads it.</summary>
public sealed record RawFrame(int Opcode, bool Fin, byte[] Payload)
{
    public int CloseCode => Opcode == 8 && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : 0;

    public string Text => Encoding.UTF8.GetString(Payload);
}

/// <summary>
/// A WebSocket client written over a bare TCP socket, so a test can send what no real client would
/// (unmasked frames, reserved bits, broken UTF-8) and read the server's frames byte for byte.
/// </summary>
public sealed class RawWebSocket : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly List<byte> _pending = [];

    private RawWebSocket(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>A handshake for <paramref name="target"/>; <paramref name="extraHeaders"/> are whole lines (each ending in CRLF), <paramref name="host"/> the Host header.</summary>
    public static string HandshakeText(string target, string? origin = null, string extraHeaders = "", string host = "127.0.0.1") =>
        $"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + (origin is null ? "" : $"Origin: {origin}\r\n") + extraHeaders + "\r\n";

    public static async Task<RawWebSocket> ConnectTcpAsync(Uri baseAddress)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port).Within();
        return new RawWebSocket(tcp);
    }

    /// <summary>Connects, sends the handshake for <paramref name="target"/> and returns the client with the response head.</summary>
    public static async Task<(RawWebSocket Socket, string Head)> ConnectAsync(Uri baseAddress, string target, string? origin = null, string extraHeaders = "", string host = "127.0.0.1")
    {
        var socket = await ConnectTcpAsync(baseAddress);
        await socket.SendRawAsync(Encoding.ASCII.GetBytes(HandshakeText(target, origin, extraHeaders, host)));
        return (socket, await socket.ReadHeadAsync());
    }

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask().Within();

    /// <summary>Reads up to the end of an HTTP head (the empty line).</summary>
    public async Task<string> ReadHeadAsync()
    {
        while (true)
        {
            var text = Encoding.ASCII.GetString([.. _pending]);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.RemoveRange(0, end + 4);
                return text[..(end + 4)];
            }
            if (!await FillAsync())
            {
                throw new IOException($"The connection closed before the head ended: {text}");
            }
        }
    }

    /// <summary>A frame as a client sends it: masked unless told otherwise.</summary>
    public static byte[] Frame(int opcode, byte[] payload, bool fin = true, bool mask = true, int rsv = 0, long? declaredLength = null)
    {
        var length = declaredLength ?? payload.Length;
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode) };
        var maskBit = mask ? 0x80 : 0;
        if (length < 126)
        {
            header.Add((byte)(maskBit | (int)length));
        }
        else if (length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            header.Add((byte)(length >> 8));
            header.Add((byte)length);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            for (var i = 7; i >= 0; i--)
            {
                header.Add((byte)(length >> (8 * i)));
            }
        }
        byte[] key = [0x12, 0x34, 0x56, 0x78];
        var body = (byte[])payload.Clone();
        if (mask)
        {
            header.AddRange(key);
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= key[i % 4];
            }
        }
        return [.. header, .. body];
    }

    public Task SendFrameAsync(int opcode, byte[] payload, bool fin = true, bool mask = true, int rsv = 0) =>
        SendRawAsync(Frame(opcode, payload, fin, mask, rsv));

    public Task SendTextAsync(string text) => SendFrameAsync(1, Encoding.UTF8.GetBytes(text));

    /// <summary>The next frame from the server (which never masks); null when the connection ended first.</summary>
    public async Task<RawFrame?> ReadFrameAsync()
    {
        while (true)
        {
            if (_pending.Count >= 2)
            {
                var first = _pending[0];
                var second = _pending[1];
                Assert.Equal(0, second & 0x80); // a server never masks
                var length = (long)(second & 0x7F);
                var at = 2;
                if (length == 126 && _pending.Count >= 4)
                {
                    length = (_pending[2] << 8) | _pending[3];
                    at = 4;
                }
                else if (length == 127 && _pending.Count >= 10)
                {
                    length = 0;
                    for (var i = 0; i < 8; i++)
                    {
                        length = (length << 8) | _pending[2 + i];
                    }
                    at = 10;
                }
                else if (length >= 126)
                {
                    at = -1;
                }
                if (at > 0 && _pending.Count >= at + length)
                {
                    var payload = _pending.GetRange(at, (int)length).ToArray();
                    _pending.RemoveRange(0, at + (int)length);
                    return new RawFrame(first & 0x0F, (first & 0x80) != 0, payload);
                }
            }
            if (!await FillAsync())
            {
                return null;
            }
        }
    }

    /// <summary>Reads frames until a close frame; returns it (skipping Engine.IO pings and messages before it).</summary>
    public async Task<RawFrame?> ReadCloseAsync()
    {
        while (await ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == 8)
            {
                return frame;
            }
        }
        return null;
    }

    /// <summary>Whether the server ends the connection (EOF or reset) within the default timeout, once what it sent is read.</summary>
    public async Task<bool> EndsAsync()
    {
        while (await FillAsync())
        {
            _pending.Clear();
        }
        return true;
    }

    private async Task<bool> FillAsync()
    {
        var buffer = new byte[64 * 1024];
        int read;
        try
        {
            read = await _stream.ReadAsync(buffer).AsTask().Within();
        }
        catch (IOException)
        {
            return false;
        }
        _pending.AddRange(buffer.AsSpan(0, read));
        return read > 0;
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
