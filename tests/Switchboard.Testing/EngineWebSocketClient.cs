using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Switchboard.Testing;

/// <summary>One WebSocket message: text, or binary bytes.</summary>
public sealed record WsFrame(bool IsBinary, byte[] Data)
{
    public string Text => IsBinary ? throw new InvalidOperationException($"Expected a text frame, got {Data.Length} binary bytes.") : Encoding.UTF8.GetString(Data);

    public override string ToString() => IsBinary ? $"<binary {Convert.ToHexString(Data)}>" : Text;
}

/// <summary>
/// A raw Engine.IO v4 WebSocket client. A background loop reads every message into a queue; with
/// <see cref="AutoPong"/> it answers the server's pings itself and keeps them out of the queue.
/// </summary>
public sealed class EngineWebSocketClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<WsFrame> _frames = Channel.CreateUnbounded<WsFrame>();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _readLoop;
    private int _pingsAnswered;

    private EngineWebSocketClient(ClientWebSocket socket)
    {
        _socket = socket;
        _readLoop = ReadLoopAsync();
    }

    private volatile bool _autoPong;

    /// <summary>Whether the read loop answers pings itself (and keeps them out of the queue).</summary>
    public bool AutoPong
    {
        get => _autoPong;
        set => _autoPong = value;
    }

    public int PingsAnswered => Volatile.Read(ref _pingsAnswered);

    /// <summary>Completes when the connection ends, with the server's close status (null when it dropped).</summary>
    public Task<WebSocketCloseStatus?> Closed => _closed.Task;

    public WebSocketState State => _socket.State;

    public static Uri Url(Uri baseAddress, string path, string? sid = null)
    {
        var builder = new UriBuilder(new Uri(baseAddress, path.Trim('/') + "/")) { Scheme = "ws" };
        builder.Query = "EIO=4&transport=websocket" + (sid is null ? "" : "&sid=" + Uri.EscapeDataString(sid));
        return builder.Uri;
    }

    public static async Task<EngineWebSocketClient> ConnectAsync(Uri baseAddress, string path, string? sid = null, bool autoPong = false)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(Url(baseAddress, path, sid), CancellationToken.None).Within();
        return new EngineWebSocketClient(socket) { AutoPong = autoPong };
    }

    /// <summary>Connects without a session id and reads the open packet; returns the client and the handshake JSON.</summary>
    public static async Task<(EngineWebSocketClient Client, JsonElement Open)> HandshakeAsync(Uri baseAddress, string path, bool autoPong = false)
    {
        var client = await ConnectAsync(baseAddress, path, null, autoPong);
        var open = await client.ReceiveTextAsync();
        Assert.StartsWith("0{", open);
        return (client, JsonDocument.Parse(open[1..]).RootElement.Clone());
    }

    public async Task SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] binary) => await SendAsync(binary, WebSocketMessageType.Binary);

    private async Task SendAsync(byte[] data, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync().Within();
        try
        {
            await _socket.SendAsync(data, type, true, CancellationToken.None).Within();
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next message; fails if none arrives in time or the connection ended.</summary>
    public async Task<WsFrame> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(Timeouts.Default);
        try
        {
            return await _frames.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No WebSocket message within {Timeouts.Default}.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The WebSocket closed ({await Closed}) while a message was expected.");
        }
    }

    public async Task<string> ReceiveTextAsync() => (await ReceiveAsync()).Text;

    public async Task<byte[]> ReceiveBinaryAsync()
    {
        var frame = await ReceiveAsync();
        Assert.True(frame.IsBinary, $"Expected a binary frame, got '{frame}'.");
        return frame.Data;
    }

    /// <summary>Waits for the server to end the connection; every message still unread must be one of <paramref name="allowedBefore"/>.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync(params string[] allowedBefore)
    {
        var status = await Closed.Within();
        while (_frames.Reader.TryRead(out var frame))
        {
            Assert.Contains(frame.ToString(), allowedBefore);
        }
        return status;
    }

    public Task CloseAsync() => _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).Within();

    /// <summary>Drops the TCP connection without a close handshake.</summary>
    public void Abort() => _socket.Abort();

    private async Task ReadLoopAsync()
    {
        await Task.Yield();
        var buffer = new byte[16 * 1024];
        WebSocketCloseStatus? status = null;
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    status = result.CloseStatus;
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }
                    break;
                }
                var frame = new WsFrame(result.MessageType == WebSocketMessageType.Binary, message.ToArray());
                if (AutoPong && !frame.IsBinary && frame.Data is [(byte)'2'])
                {
                    Interlocked.Increment(ref _pingsAnswered);
                    await SendAsync("3");
                    continue;
                }
                _frames.Writer.TryWrite(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException or TimeoutException)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
            _closed.TrySetResult(status);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        await _readLoop.WaitAsync(Timeouts.Default);
        _sendLock.Dispose();
    }
}
