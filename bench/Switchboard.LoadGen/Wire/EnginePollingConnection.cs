using System.Net.Sockets;
using System.Text;

namespace Switchboard.LoadGen.Wire;

/// <summary>
/// Engine.IO v4 long-polling (<c>?EIO=4&amp;transport=polling</c>), as a browser without WebSocket runs
/// it: the handshake GET, then one GET held at a time on one keep-alive connection and POSTs on a second
/// one. Every packet of a GET's payload (packets joined by 0x1E) is handed up as one text message, so
/// the Socket.IO client above works as on a WebSocket; what it sends while a POST is out is queued and
/// goes as one payload with the next POST, as engine.io-client does. It never upgrades.
/// </summary>
internal sealed class EnginePollingConnection : WireConnection
{
    private readonly Lock _sendLock = new();
    private readonly List<byte[]> _pending = [];
    private HttpConnection? _poll;
    private HttpConnection? _post;
    private string _path = "";
    private bool _posting;
    private volatile bool _closed;

    public override async Task ConnectAsync(Uri uri, CancellationToken cancellation)
    {
        _poll = new HttpConnection(uri);
        _post = new HttpConnection(uri);
        var status = await _poll.SendAsync("GET", uri.PathAndQuery, default, cancellation);
        if (status != 200)
        {
            throw new IOException($"Engine.IO handshake refused: HTTP {status} {Encoding.UTF8.GetString(_poll.Body)}");
        }
        var body = _poll.Body;
        var at = body.IndexOf("\"sid\":\""u8);
        if (body.IsEmpty || body[0] != (byte)'0' || at < 0)
        {
            throw new IOException($"not an Engine.IO open packet: {Encoding.UTF8.GetString(body)}");
        }
        var sid = body[(at + 7)..];
        sid = sid[..sid.IndexOf((byte)'"')];
        _path = uri.PathAndQuery + "&sid=" + Uri.EscapeDataString(Encoding.ASCII.GetString(sid));
        // The open packet (and whatever came with it) goes up first: the client answers it with CONNECT.
        Dispatch(body);
        _ = PollLoopAsync();
    }

    private async Task PollLoopAsync()
    {
        string? error = null;
        try
        {
            while (!_closed)
            {
                var status = await _poll!.SendAsync("GET", _path, default);
                if (status != 200)
                {
                    error = $"poll answered HTTP {status}: {Encoding.UTF8.GetString(_poll.Body)}";
                    break;
                }
                Dispatch(_poll.Body);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException or FormatException)
        {
            error = _closed ? null : ex.Message;
        }
        _closed = true;
        Handler.OnClosed(error);
    }

    /// <summary>Hands up each packet of a payload.</summary>
    private void Dispatch(ReadOnlySpan<byte> payload)
    {
        while (!payload.IsEmpty && !_closed)
        {
            var end = payload.IndexOf((byte)0x1E);
            Handler.OnText(end < 0 ? payload : payload[..end]);
            payload = end < 0 ? default : payload[(end + 1)..];
        }
    }

    public override bool SendText(ReadOnlySpan<byte> utf8)
    {
        if (_closed)
        {
            return false;
        }
        lock (_sendLock)
        {
            _pending.Add(utf8.ToArray());
            if (_posting)
            {
                return true;
            }
            _posting = true;
        }
        _ = PostLoopAsync();
        return true;
    }

    /// <summary>POSTs what is pending, one payload at a time, until nothing is left.</summary>
    private async Task PostLoopAsync()
    {
        try
        {
            while (!_closed)
            {
                byte[] payload;
                lock (_sendLock)
                {
                    if (_pending.Count == 0)
                    {
                        _posting = false;
                        return;
                    }
                    payload = new byte[_pending.Sum(p => p.Length) + _pending.Count - 1];
                    var offset = 0;
                    foreach (var packet in _pending)
                    {
                        if (offset > 0)
                        {
                            payload[offset++] = 0x1E;
                        }
                        packet.CopyTo(payload, offset);
                        offset += packet.Length;
                    }
                    _pending.Clear();
                }
                var status = await _post!.SendAsync("POST", _path, payload);
                if (status != 200)
                {
                    throw new IOException($"POST answered HTTP {status}: {Encoding.UTF8.GetString(_post.Body)}");
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            if (!_closed)
            {
                _closed = true;
                _poll?.Dispose();
                Handler.OnClosed(ex.Message);
            }
        }
    }

    public override void Close()
    {
        _closed = true;
        _poll?.Dispose();
        _post?.Dispose();
    }
}
