using System.Buffers;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Bench.Ceiling;

/// <summary>
/// One client: an HTTP request (WebSocket upgrade to the Socket.IO app, or an SSE subscription), then
/// client frames. While idle it holds no buffer: it waits with a zero-byte receive and rents one only
/// when data has arrived; a partial frame is kept in a small array of its own.
/// </summary>
internal sealed class CeilingConnection(Socket socket, RoomTable rooms)
{
    private static readonly byte[] OpenPacket = Framing.TextFrame(
        "0{\"sid\":\"ceiling\",\"upgrades\":[],\"pingInterval\":3600000,\"pingTimeout\":20000,\"maxPayload\":1000000}");
    private static readonly byte[] ConnectReply = Framing.TextFrame("40{\"sid\":\"ceiling\"}");
    private static readonly byte[] Ok = "\"ok\""u8.ToArray();

    private readonly Lock _writeLock = new();
    private readonly List<string> _rooms = [];
    private byte[]? _partial;
    private byte[]? _corked;
    private int _corkedLength;
    private bool _upgraded;
    private bool _closed;

    public bool IsEventStream { get; private set; }

    public async Task RunAsync()
    {
        try
        {
            while (!_closed)
            {
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                var buffer = ArrayPool<byte>.Shared.Rent(16384);
                try
                {
                    var carried = _partial?.Length ?? 0;
                    if (carried > buffer.Length / 2)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(carried * 2);
                    }
                    _partial?.CopyTo(buffer, 0);
                    _partial = null;
                    var read = await socket.ReceiveAsync(buffer.AsMemory(carried), SocketFlags.None);
                    if (read == 0)
                    {
                        break;
                    }
                    var length = carried + read;
                    var consumed = _upgraded ? ReadFrames(buffer.AsSpan(0, length)) : ReadRequest(buffer.AsSpan(0, length));
                    rooms.FlushCorked();
                    if (consumed < length)
                    {
                        _partial = buffer.AsSpan(consumed, length - consumed).ToArray();
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        Close();
    }

    public void Write(byte[] bytes)
    {
        lock (_writeLock)
        {
            if (_closed)
            {
                return;
            }
            try
            {
                socket.Send(bytes);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                _closed = true;
            }
        }
    }

    /// <summary>Queues bytes for <see cref="Flush"/>; true when the queue was empty (the caller remembers to flush).</summary>
    public bool Append(byte[] bytes)
    {
        lock (_writeLock)
        {
            if (_closed)
            {
                return false;
            }
            var wasEmpty = _corkedLength == 0;
            if (_corked is null || _corkedLength + bytes.Length > _corked.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(4096, (_corkedLength + bytes.Length) * 2));
                _corked?.AsSpan(0, _corkedLength).CopyTo(bigger);
                if (_corked is not null)
                {
                    ArrayPool<byte>.Shared.Return(_corked);
                }
                _corked = bigger;
            }
            bytes.CopyTo(_corked, _corkedLength);
            _corkedLength += bytes.Length;
            return wasEmpty;
        }
    }

    public void Flush()
    {
        lock (_writeLock)
        {
            if (_corked is null)
            {
                return;
            }
            try
            {
                if (!_closed && _corkedLength > 0)
                {
                    socket.Send(_corked, 0, _corkedLength, SocketFlags.None);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                _closed = true;
            }
            ArrayPool<byte>.Shared.Return(_corked);
            _corked = null;
            _corkedLength = 0;
        }
    }

    private void Close()
    {
        lock (_writeLock)
        {
            _closed = true;
        }
        rooms.Leave(_rooms, this);
        socket.Dispose();
    }

    /// <summary>Reads the HTTP request head; returns how much of the input it consumed.</summary>
    private int ReadRequest(Span<byte> input)
    {
        var end = input.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (input.Length > 16384)
            {
                _closed = true;
            }
            return 0;
        }
        var head = Encoding.ASCII.GetString(input[..end]);
        var lines = head.Split("\r\n");
        var target = lines[0].Split(' ') is { Length: >= 2 } parts ? parts[1] : "";
        if (target.StartsWith("/sse", StringComparison.Ordinal))
        {
            var room = QueryValue(target, "room") ?? "";
            IsEventStream = true;
            _upgraded = true;
            Join(room);
            Write(Framing.EventStreamResponse);
            return input.Length;
        }
        string? key = null;
        foreach (var line in lines)
        {
            if (line.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))
            {
                key = line["Sec-WebSocket-Key:".Length..].Trim();
            }
        }
        if (key is null || !target.StartsWith("/socket.io/", StringComparison.Ordinal))
        {
            Write(Framing.NotFound);
            _closed = true;
            return input.Length;
        }
        _upgraded = true;
        Write(Framing.UpgradeResponse(key));
        Write(OpenPacket);
        return end + 4 + ReadFrames(input[(end + 4)..]);
    }

    private static string? QueryValue(string target, string name)
    {
        var q = target.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return null;
        }
        foreach (var pair in target[(q + 1)..].Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && pair[..eq] == name)
            {
                return Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }
        return null;
    }

    /// <summary>Reads whole client frames (masked) and handles them; returns how much it consumed.</summary>
    private int ReadFrames(Span<byte> input)
    {
        var offset = 0;
        while (!IsEventStream && input.Length - offset >= 2)
        {
            var frame = input[offset..];
            var opcode = frame[0] & 0x0F;
            var masked = (frame[1] & 0x80) != 0;
            long length = frame[1] & 0x7F;
            var header = 2;
            if (length == 126)
            {
                if (frame.Length < 4)
                {
                    break;
                }
                length = (frame[2] << 8) | frame[3];
                header = 4;
            }
            else if (length == 127)
            {
                if (frame.Length < 10)
                {
                    break;
                }
                length = 0;
                for (var i = 0; i < 8; i++)
                {
                    length = (length << 8) | frame[2 + i];
                }
                header = 10;
            }
            var maskAt = header;
            if (masked)
            {
                header += 4;
            }
            if (length > 1 << 20)
            {
                _closed = true;
                return input.Length;
            }
            if (frame.Length < header + length)
            {
                break;
            }
            var payload = frame.Slice(header, (int)length);
            if (masked)
            {
                var mask = frame.Slice(maskAt, 4);
                for (var i = 0; i < payload.Length; i++)
                {
                    payload[i] ^= mask[i & 3];
                }
            }
            offset += header + (int)length;
            switch (opcode)
            {
                case 0x1:
                    OnMessage(payload);
                    break;
                case 0x8:
                    Write(Framing.ControlFrame(0x8, payload.Length >= 2 ? payload[..2] : []));
                    _closed = true;
                    return input.Length;
                case 0x9:
                    Write(Framing.ControlFrame(0xA, payload));
                    break;
            }
        }
        return offset;
    }

    /// <summary>The Socket.IO packets the bench uses: CONNECT to "/", and the events join, publish and echo.</summary>
    private void OnMessage(ReadOnlySpan<byte> message)
    {
        if (message.SequenceEqual("40"u8) || message.StartsWith("40{"u8))
        {
            Write(ConnectReply);
            return;
        }
        if (!message.StartsWith("42"u8))
        {
            return;
        }
        var body = message[2..];
        var digits = 0;
        while (digits < body.Length && body[digits] is >= (byte)'0' and <= (byte)'9')
        {
            digits++;
        }
        var ackId = body[..digits];
        var array = body[digits..];
        if (array.Length < 2 || array[^1] != (byte)']')
        {
            return;
        }
        if (array.StartsWith("[\"join\",\""u8))
        {
            var room = array[9..^2];
            Join(Encoding.UTF8.GetString(room));
            if (digits > 0)
            {
                Write(Framing.Ack(ackId, Ok));
            }
        }
        else if (array.StartsWith("[\"publish\",\""u8))
        {
            var rest = array[12..^1];
            var close = rest.IndexOf("\","u8);
            if (close > 0)
            {
                rooms.Publish(Encoding.UTF8.GetString(rest[..close]), rest[(close + 2)..]);
            }
        }
        else if (array.StartsWith("[\"echo\","u8) && digits > 0)
        {
            Write(Framing.Ack(ackId, array[8..^1]));
        }
    }

    private void Join(string room)
    {
        _rooms.Add(room);
        rooms.Join(room, this);
    }
}
