using System.Net;
using System.Net.Http;
using System.Net.WebSockets;

namespace Switchboard.LoadGen.Wire;

/// <summary>
/// The same wire over System.Net.WebSockets.ClientWebSocket, to compare the generator's own cost with
/// <see cref="RawWebSocket"/> (docs/performance.md). Sends are serialized by a lock and complete
/// synchronously in practice (small messages into an empty socket buffer).
/// </summary>
internal sealed class ClientWebSocketConnection : WireConnection
{
    private static readonly HttpMessageInvoker Invoker = new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellation) =>
        {
            var socket = SourceAddresses.NewSocket();
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint.Host == "localhost"
                    ? new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port)
                    : new IPEndPoint(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port), cancellation);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseProxy = false,
    });

    private readonly Lock _sendLock = new();
    private readonly ClientWebSocket _socket = new();
    private volatile bool _closed;

    public override async Task ConnectAsync(Uri uri, CancellationToken cancellation)
    {
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var ws = new UriBuilder(uri) { Scheme = uri.Scheme == "https" ? "wss" : "ws" }.Uri;
        await _socket.ConnectAsync(ws, Invoker, cancellation);
        _ = ReceiveLoopAsync();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[4096];
        var filled = 0;
        string? error = null;
        try
        {
            while (!_closed)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                var result = await _socket.ReceiveAsync(buffer.AsMemory(filled), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                filled += result.Count;
                if (result.EndOfMessage)
                {
                    Handler.OnText(buffer.AsSpan(0, filled));
                    filled = 0;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            error = _closed ? null : ex.Message;
        }
        _closed = true;
        Handler.OnClosed(error);
    }

    public override bool SendText(ReadOnlySpan<byte> utf8)
    {
        if (_closed)
        {
            return false;
        }
        var copy = utf8.ToArray();
        try
        {
            lock (_sendLock)
            {
                var pending = _socket.SendAsync(copy, WebSocketMessageType.Text, true, CancellationToken.None);
                if (!pending.IsCompletedSuccessfully)
                {
                    pending.GetAwaiter().GetResult();
                }
            }
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            return false;
        }
    }

    public override void Close()
    {
        _closed = true;
        _socket.Abort();
        _socket.Dispose();
    }
}
