using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Client;

/// <summary>
/// One Engine.IO v4 session seen from the client: the handshake, the transport loops (WebSocket, or HTTP
/// long-polling with the upgrade to WebSocket), one outbound queue the current transport drains in order,
/// and the heartbeat. It only moves packets and says why it ended (<see cref="Closed"/>); Socket.IO lives above it.
/// </summary>
internal sealed partial class EngineConnection
{
    private readonly SocketIOClientOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<Outgoing> _outbound = Channel.CreateUnbounded<Outgoing>();
    private readonly TaskCompletionSource<DisconnectReason> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private Action<EnginePacket>? _onPacket;
    private int _closing;

    private readonly record struct Outgoing(ReadOnlyMemory<byte> Data, bool IsBinary);

    private EngineConnection(SocketIOClientOptions options, Handshake handshake)
    {
        _options = options;
        _logger = options.Logger;
        Sid = handshake.Sid;
        PingInterval = handshake.PingInterval;
        PingTimeout = handshake.PingTimeout;
        CanUpgrade = handshake.CanUpgrade;
    }

    /// <summary>The Engine.IO session id the server gave.</summary>
    public string Sid { get; }

    public TimeSpan PingInterval { get; }

    public TimeSpan PingTimeout { get; }

    /// <summary>Whether the server offered the upgrade to WebSocket.</summary>
    private bool CanUpgrade { get; }

    /// <summary>The transport carrying the session now.</summary>
    public ClientTransport Transport => _webSocket is null ? ClientTransport.Polling : ClientTransport.WebSocket;

    /// <summary>Completes, once, with the reason the connection ended.</summary>
    public Task<DisconnectReason> Closed => _closed.Task;

    private readonly record struct Handshake(string Sid, bool CanUpgrade, TimeSpan PingInterval, TimeSpan PingTimeout);

    private static Handshake ParseOpen(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var canUpgrade = root.TryGetProperty("upgrades", out var upgrades) && upgrades.ValueKind == JsonValueKind.Array
            && upgrades.EnumerateArray().Any(u => u.ValueKind == JsonValueKind.String && u.ValueEquals("websocket"));
        return new Handshake(
            root.GetProperty("sid").GetString() ?? throw new JsonException("sid is null"),
            canUpgrade,
            TimeSpan.FromMilliseconds(root.GetProperty("pingInterval").GetInt32()),
            TimeSpan.FromMilliseconds(root.GetProperty("pingTimeout").GetInt32()));
    }

    /// <summary>An Engine.IO URL: <c>scheme://host/path/?EIO=4&amp;transport=...[&amp;sid=...]</c> plus the app's query.</summary>
    public static Uri EngineUri(Uri server, SocketIOClientOptions options, ClientTransport transport, string? sid = null)
    {
        var secure = server.Scheme is "https" or "wss";
        var builder = new UriBuilder(server)
        {
            Scheme = transport == ClientTransport.WebSocket ? (secure ? "wss" : "ws") : (secure ? "https" : "http"),
            Path = options.Path.TrimEnd('/') + "/",
        };
        var query = "EIO=4&transport=" + (transport == ClientTransport.WebSocket ? "websocket" : "polling");
        if (sid is not null)
        {
            query += "&sid=" + Uri.EscapeDataString(sid);
        }
        if (options.Query is not null)
        {
            foreach (var (key, value) in options.Query)
            {
                query += "&" + Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(value);
            }
        }
        builder.Query = query;
        return builder.Uri;
    }

    /// <summary>Opens the first transport and reads the open packet; fails on a timeout, a refused connection or a malformed handshake.</summary>
    public static async Task<EngineConnection> OpenAsync(Uri server, SocketIOClientOptions options, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return options.Transport == ClientTransport.Polling
                ? await OpenPollingAsync(server, options, linked.Token).ConfigureAwait(false)
                : await OpenWebSocketAsync(server, options, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No Engine.IO handshake within {options.ConnectTimeout}.");
        }
    }

    /// <summary>Starts the transport loops; packets go to <paramref name="onPacket"/> one at a time, in order.</summary>
    public void Start(Action<EnginePacket> onPacket)
    {
        _onPacket = onPacket;
        StartHeartbeat();
        if (_webSocket is { } socket)
        {
            StartWebSocket(socket);
        }
        else
        {
            StartPolling();
        }
    }

    /// <summary>Queues a Socket.IO packet (its text message, then its attachments). False once the connection is closing.</summary>
    public bool Send(OutgoingPacket packet)
    {
        if (Volatile.Read(ref _closing) != 0)
        {
            return false;
        }
        // A packet's messages are queued back to back under the lock, so another packet cannot come
        // between a binary packet and its attachments.
        lock (_outbound)
        {
            if (!_outbound.Writer.TryWrite(new Outgoing(packet.Text, false)))
            {
                return false;
            }
            foreach (var attachment in packet.Attachments)
            {
                _outbound.Writer.TryWrite(new Outgoing(attachment, true));
            }
        }
        return true;
    }

    private void SendControl(EnginePacketType type)
    {
        lock (_outbound)
        {
            _outbound.Writer.TryWrite(new Outgoing(EngineCodec.EncodeText(type, default), false));
        }
    }

    /// <summary>
    /// Ends the connection. A client close (<see cref="DisconnectReason.ClientDisconnect"/>) first sends
    /// what is queued and says goodbye (a WebSocket close, or the close packet over polling); any other
    /// reason drops the transport at once.
    /// </summary>
    public void Close(DisconnectReason reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }
        StopHeartbeat();
        lock (_outbound)
        {
            if (reason == DisconnectReason.ClientDisconnect && _webSocket is null)
            {
                _outbound.Writer.TryWrite(new Outgoing(EngineCodec.EncodeText(EnginePacketType.Close, default), false));
            }
            _outbound.Writer.TryComplete();
        }
        if (reason != DisconnectReason.ClientDisconnect)
        {
            Abort();
        }
        else
        {
            // The writer says goodbye once the queue is drained; a peer that does not answer is cut after a second.
            _ = Task.Delay(TimeSpan.FromSeconds(1), _options.TimeProvider).ContinueWith(_ => Abort(), TaskScheduler.Default);
        }
        _logger.EngineClosed(reason.ToWireString());
        _closed.TrySetResult(reason);
    }

    private void Abort()
    {
        _stopping.Cancel();
        _webSocket?.Abort();
        _probe?.Abort();
        _http?.Dispose();
    }

    /// <summary>Handles an Engine.IO packet from either transport; false when the connection ended.</summary>
    private bool Handle(EnginePacket packet)
    {
        switch (packet.Type)
        {
            case EnginePacketType.Ping:
                OnPing();
                SendControl(EnginePacketType.Pong);
                return true;
            case EnginePacketType.Close:
                Close(DisconnectReason.TransportClose);
                return false;
            case EnginePacketType.Message:
                _onPacket!(packet);
                return Volatile.Read(ref _closing) == 0;
            default:
                // Pong, noop (a released poll), a second open, upgrade: nothing to do on a client.
                return true;
        }
    }
}
