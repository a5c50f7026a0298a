using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// A client of the plain WebSocket protocol over <see cref="ClientWebSocket"/>. A background loop reads
/// every frame, in order, into an inbox; <see cref="CallAsync"/> sends a request with the next id and
/// returns its reply, keeping the pushes that arrived before it in <see cref="Pushes"/> (in order), where
/// <see cref="NextAsync"/> reads first.
/// </summary>
public sealed class PlainClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _inbox = Channel.CreateUnbounded<JsonElement>();
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Status, string? Description)> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task? _readLoop;
    private int _nextId;

    private PlainClient(ClientWebSocket socket)
    {
        _socket = socket;
    }

    /// <summary>Pushes received before the reply of the last <see cref="CallAsync"/>, not yet read by <see cref="NextAsync"/>.</summary>
    public Queue<JsonElement> Pushes { get; } = new();

    public JsonElement Welcome { get; private set; }

    public string ConnectionId => Welcome.GetProperty("connectionId").GetString()!;

    public string? SubProtocol => _socket.SubProtocol;

    /// <summary>The upgrade response's headers, when the options asked to collect them.</summary>
    public IReadOnlyDictionary<string, IEnumerable<string>>? ResponseHeaders => _socket.HttpResponseHeaders;

    public WebSocketState State => _socket.State;

    /// <summary>Completes when the connection ends: the server's close status and description (null status when it dropped).</summary>
    public Task<(WebSocketCloseStatus? Status, string? Description)> Closed => _closed.Task;

    public static Uri Url(TestHost host, string path = "/ws", string? token = "all")
    {
        var builder = new UriBuilder(new Uri(host.BaseAddress, path.TrimStart('/'))) { Scheme = "ws" };
        if (token is not null)
        {
            builder.Query = "token=" + Uri.EscapeDataString(token);
        }
        return builder.Uri;
    }

    /// <summary>Connects and reads the welcome frame. With <paramref name="read"/> false nothing is read until <see cref="StartReadingAsync"/>.</summary>
    public static async Task<PlainClient> ConnectAsync(TestHost host, string path = "/ws", string? token = "all",
        Action<ClientWebSocketOptions>? configure = null, bool read = true)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(Url(host, path, token), CancellationToken.None).Within();
        var client = new PlainClient(socket);
        if (read)
        {
            await client.StartReadingAsync();
        }
        return client;
    }

    /// <summary>Starts the read loop and reads the welcome frame.</summary>
    public async Task StartReadingAsync()
    {
        _readLoop = ReadLoopAsync();
        Welcome = await NextAsync();
        Assert.Equal("welcome", Welcome.GetProperty("type").GetString());
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public Task SendBinaryAsync(byte[] data) => SendAsync(data, WebSocketMessageType.Binary);

    public async Task SendAsync(byte[] data, WebSocketMessageType type)
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

    /// <summary>Sends one text message in two WebSocket fragments, split after <paramref name="split"/> bytes.</summary>
    public async Task SendFragmentedAsync(string text, int split)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await _sendLock.WaitAsync().Within();
        try
        {
            await _socket.SendAsync(bytes.AsMemory(0, split), WebSocketMessageType.Text, false, CancellationToken.None).AsTask().Within();
            await _socket.SendAsync(bytes.AsMemory(split), WebSocketMessageType.Text, true, CancellationToken.None).AsTask().Within();
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Builds the request JSON: <c>{"id":n,"op":op, ...fields}</c>.</summary>
    public static string Request(int id, string op, object? fields = null)
    {
        var json = new JsonObject { ["id"] = id, ["op"] = op };
        if (fields is not null)
        {
            foreach (var (name, value) in JsonSerializer.SerializeToNode(fields)!.AsObject())
            {
                json[name] = value?.DeepClone();
            }
        }
        return json.ToJsonString();
    }

    /// <summary>Sends a request and returns its reply; the pushes that came first are queued in <see cref="Pushes"/>.</summary>
    public async Task<JsonElement> CallAsync(string op, object? fields = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        await SendTextAsync(Request(id, op, fields));
        return await ReplyAsync(id);
    }

    /// <summary>Reads frames until the reply with this id; the pushes before it are queued in <see cref="Pushes"/>.</summary>
    public async Task<JsonElement> ReplyAsync(int id)
    {
        while (true)
        {
            var frame = await ReadInboxAsync();
            if (frame.TryGetProperty("id", out var replyId) && replyId.ValueKind == JsonValueKind.Number && replyId.GetInt32() == id)
            {
                return frame;
            }
            Assert.False(frame.TryGetProperty("ok", out _), $"Expected the reply to {id}, got another reply: {frame}");
            Pushes.Enqueue(frame);
        }
    }

    /// <summary>A request that must succeed: returns the reply.</summary>
    public async Task<JsonElement> OkAsync(string op, object? fields = null)
    {
        var reply = await CallAsync(op, fields);
        Assert.True(reply.GetProperty("ok").GetBoolean(), $"Expected {op} to succeed, got {reply}");
        return reply;
    }

    /// <summary>A request that must fail with <paramref name="code"/>: returns the error message.</summary>
    public async Task<string> ErrorAsync(string op, object? fields, string code)
    {
        var reply = await CallAsync(op, fields);
        return AssertError(reply, code);
    }

    public static string AssertError(JsonElement reply, string code)
    {
        Assert.False(reply.GetProperty("ok").GetBoolean(), $"Expected a {code} error, got {reply}");
        var error = reply.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message!;
    }

    /// <summary>The next frame: a queued push first, then the inbox.</summary>
    public Task<JsonElement> NextAsync() => Pushes.TryDequeue(out var frame) ? Task.FromResult(frame) : ReadInboxAsync();

    /// <summary>The next frame, which must be a push of this type.</summary>
    public async Task<JsonElement> NextPushAsync(string type)
    {
        var frame = await NextAsync();
        Assert.True(frame.TryGetProperty("type", out var t) && t.GetString() == type, $"Expected a '{type}' push, got {frame}");
        return frame;
    }

    /// <summary>The next <paramref name="count"/> frames, which must be <c>pub</c> pushes.</summary>
    public async Task<List<JsonElement>> PublicationsAsync(int count)
    {
        var list = new List<JsonElement>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(await NextPushAsync("pub"));
        }
        return list;
    }

    /// <summary>
    /// Proves nothing else was pushed: a ping's reply follows everything the server queued before it,
    /// so no push may arrive before the reply.
    /// </summary>
    public async Task AssertNoPushesAsync()
    {
        Assert.Empty(Pushes);
        await OkAsync("ping");
        Assert.True(Pushes.Count == 0, "Unexpected pushes: " + string.Join(", ", Pushes));
    }

    /// <summary>Waits for the server to close; returns the status and description.</summary>
    public Task<(WebSocketCloseStatus? Status, string? Description)> WaitClosedAsync() => Closed.Within();

    public Task CloseAsync() => _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).Within();

    private async Task<JsonElement> ReadInboxAsync()
    {
        using var timeout = new CancellationTokenSource(Timeouts.Default);
        try
        {
            return await _inbox.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame within {Timeouts.Default}.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The WebSocket closed ({await Closed}) while a frame was expected.");
        }
    }

    private async Task ReadLoopAsync()
    {
        await Task.Yield();
        var buffer = new byte[64 * 1024];
        (WebSocketCloseStatus?, string?) close = (null, null);
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
                    close = (result.CloseStatus, result.CloseStatusDescription);
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }
                    break;
                }
                Assert.Equal(WebSocketMessageType.Text, result.MessageType);
                _inbox.Writer.TryWrite(JsonDocument.Parse(message.ToArray()).RootElement.Clone());
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            _inbox.Writer.TryComplete();
            _closed.TrySetResult(close);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        if (_readLoop is not null)
        {
            await _readLoop.WaitAsync(Timeouts.Default);
        }
        _sendLock.Dispose();
    }
}
