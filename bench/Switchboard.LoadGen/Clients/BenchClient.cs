using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Clients;

public enum ClientProtocol
{
    SocketIO,
    SignalR,
    Sse,

    /// <summary>Socket.IO v5 over Engine.IO v4 long-polling (never upgraded).</summary>
    SocketIOPolling,

    /// <summary>Switchboard's channel long-poll (docs/protocols/longpoll.md), receive-only like SSE.</summary>
    LongPoll,
}

/// <summary>
/// One simulated user of the bench app: connects, joins a room, publishes, echoes, and reports what
/// arrives to its <see cref="IClientObserver"/>. Subclasses speak one protocol over a
/// <see cref="WireConnection"/>.
/// </summary>
internal abstract class BenchClient : IMessageHandler
{
    [ThreadStatic] private static byte[]? t_scratch;

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _join;
    private volatile bool _closed;

    protected BenchClient(WireConnection wire, IClientObserver observer)
    {
        Wire = wire;
        Observer = observer;
        wire.Handler = this;
    }

    protected WireConnection Wire { get; }

    public IClientObserver Observer { get; set; }

    /// <summary>Free for the scenario (for example the client's index).</summary>
    public int Tag { get; set; }

    public bool IsClosed => _closed;

    public static BenchClient Create(ClientProtocol protocol, WireKind wire, IClientObserver observer) => protocol switch
    {
        ClientProtocol.SocketIO => new SocketIOClient(NewWire(wire), observer),
        ClientProtocol.SignalR => new SignalRClient(NewWire(wire), observer),
        ClientProtocol.Sse => new SseClient(new SseConnection(), observer),
        ClientProtocol.SocketIOPolling => new SocketIOClient(new EnginePollingConnection(), observer),
        ClientProtocol.LongPoll => new SseClient(new ChannelLongPollConnection(), observer),
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    private static WireConnection NewWire(WireKind kind) =>
        kind == WireKind.ClientWebSocket ? new ClientWebSocketConnection() : new RawWebSocket();

    /// <summary>Connects and completes the protocol's handshake (Socket.IO: CONNECT to "/"; SignalR: the hub handshake).</summary>
    public async Task OpenAsync(Uri uri, CancellationToken cancellation)
    {
        await Wire.ConnectAsync(uri, cancellation);
        OnConnected();
        await _ready.Task.WaitAsync(cancellation);
    }

    /// <summary>Joins a room and waits for the server's acknowledgement.</summary>
    public async Task JoinAsync(string room, CancellationToken cancellation)
    {
        var join = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _join = join;
        if (!SendJoin(room))
        {
            throw new IOException("connection closed before join");
        }
        await join.Task.WaitAsync(cancellation);
    }

    public abstract bool Publish(string room, ReadOnlySpan<byte> payloadJson);

    public abstract bool SendEcho(ReadOnlySpan<byte> payloadJson);

    /// <summary>Whatever the protocol needs from an idle client to stay connected (SignalR's client pings).</summary>
    public virtual void KeepAlive()
    {
    }

    public void Close()
    {
        _closed = true;
        Wire.Close();
    }

    protected virtual void OnConnected()
    {
    }

    protected abstract bool SendJoin(string room);

    public abstract void OnText(ReadOnlySpan<byte> message);

    public void OnClosed(string? error)
    {
        var wasClosed = _closed;
        _closed = true;
        var failure = new IOException(error ?? "connection closed");
        _ready.TrySetException(failure);
        _join?.TrySetException(failure);
        if (!wasClosed)
        {
            Observer.OnClosed(this, error);
        }
    }

    protected void Ready() => _ready.TrySetResult();

    protected void Refused(string reason) => _ready.TrySetException(new IOException(reason));

    protected void Joined() => _join?.TrySetResult();

    protected void JoinFailed(string reason) => _join?.TrySetException(new IOException(reason));

    /// <summary>A per-thread buffer to build outgoing messages in.</summary>
    protected static Span<byte> Scratch(int size)
    {
        var buffer = t_scratch;
        if (buffer is null || buffer.Length < size)
        {
            t_scratch = buffer = new byte[Math.Max(4096, size)];
        }
        return buffer;
    }

    protected static int Append(Span<byte> destination, int offset, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination[offset..]);
        return offset + bytes.Length;
    }

    protected static int AppendAscii(Span<byte> destination, int offset, string text) =>
        offset + System.Text.Encoding.UTF8.GetBytes(text, destination[offset..]);

    protected static int AppendNumber(Span<byte> destination, int offset, long value)
    {
        System.Buffers.Text.Utf8Formatter.TryFormat(value, destination[offset..], out var written);
        return offset + written;
    }

    protected static bool TryParseNumber(ReadOnlySpan<byte> text, out long value, out int consumed) =>
        System.Buffers.Text.Utf8Parser.TryParse(text, out value, out consumed) && consumed > 0;
}
