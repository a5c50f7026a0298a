using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Client;

/// <summary>
/// A socket in one namespace (socket.io-client's <c>Socket</c>), carried by its <see cref="SocketIOClient"/>'s
/// connection. It joins the namespace on <see cref="ConnectAsync"/> and again after every reconnection,
/// with its auth payload (plus the recovery pid and offset when the server offers recovery).
/// </summary>
public sealed partial class ClientSocket
{
    private readonly SocketIOClient _client;
    private readonly JsonObject? _auth;
    private readonly Lock _lock = new();
    private EngineConnection? _connectSentOn;
    private TaskCompletionSource? _connecting;
    private string? _pid;
    private string? _lastOffset;

    internal ClientSocket(SocketIOClient client, string nsp, object? auth)
    {
        _client = client;
        Namespace = nsp;
        if (auth is not null)
        {
            _auth = JsonSerializer.SerializeToNode(auth, auth.GetType(), SocketJson.Options) as JsonObject
                ?? throw new ArgumentException("The auth payload must serialize to a JSON object.", nameof(auth));
        }
    }

    public SocketIOClient Client => _client;

    public string Namespace { get; }

    /// <summary>The socket id the server gave in its CONNECT reply; null while disconnected.</summary>
    public string? Id { get; private set; }

    /// <summary>Whether the namespace is joined now.</summary>
    public bool IsConnected { get; private set; }

    /// <summary>Whether the socket wants to be connected (it reconnects by itself); false after <see cref="Disconnect"/>, a server disconnect or a refusal.</summary>
    public bool Active { get; private set; }

    /// <summary>
    /// Whether the last connection restored the previous session (connection state recovery): same id, same
    /// rooms, and the events missed meanwhile delivered before <see cref="Connected"/>.
    /// </summary>
    public bool Recovered { get; private set; }

    /// <summary>The namespace is joined (first time, or after a reconnection; see <see cref="Recovered"/>).</summary>
    public event Action? Connected;

    /// <summary>The socket left the namespace; <see cref="DisconnectReasons.Reconnects"/> says whether it comes back by itself.</summary>
    public event Action<DisconnectReason>? Disconnected;

    /// <summary>Joining failed: the server refused (<see cref="SocketConnectErrorException.IsServerRefusal"/>), or the connection could not be opened.</summary>
    public event Action<SocketConnectErrorException>? ConnectError;

    private ILogger Logger => _client.Logger;

    /// <summary>
    /// Joins the namespace (opening the connection if needed) and completes once the server accepted.
    /// Fails with <see cref="SocketConnectErrorException"/> when the server refuses, or when the connection
    /// cannot be opened and reconnection is off or has given up; while the client keeps retrying, it keeps
    /// waiting (bound it with <paramref name="cancellationToken"/>).
    /// </summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource connecting;
        lock (_lock)
        {
            if (IsConnected)
            {
                return Task.CompletedTask;
            }
            Active = true;
            connecting = _connecting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        _client.EnsureRunning();
        if (_client.OpenConnection is { } open)
        {
            SendConnect(open);
        }
        return connecting.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Leaves the namespace (a DISCONNECT packet) and stops reconnecting. Pending acknowledgements and the
    /// offline buffer fail with <see cref="SocketDisconnectedException"/>. The connection closes when no socket is left.
    /// </summary>
    public void Disconnect()
    {
        bool wasConnected;
        lock (_lock)
        {
            wasConnected = IsConnected;
            if (wasConnected)
            {
                _connectSentOn?.Send(OutgoingPacket.Control(SocketPacketType.Disconnect, Namespace));
            }
            IsConnected = false;
            Active = false;
            Id = null;
            _connectSentOn = null;
            _sendBuffer.Clear();
            _connecting?.TrySetException(new SocketDisconnectedException(DisconnectReason.ClientDisconnect));
            _connecting = null;
        }
        FailAcks(DisconnectReason.ClientDisconnect, sentOnly: false);
        if (wasConnected)
        {
            _client.Raise(Disconnected, DisconnectReason.ClientDisconnect);
        }
        _client.SocketLeft();
    }

    internal void OnEngineOpen(EngineConnection connection) => SendConnect(connection);

    private void SendConnect(EngineConnection connection)
    {
        OutgoingPacket packet;
        lock (_lock)
        {
            if (!Active || IsConnected || ReferenceEquals(_connectSentOn, connection))
            {
                return;
            }
            _connectSentOn = connection;
            packet = OutgoingPacket.Control(SocketPacketType.Connect, Namespace, ConnectPayload());
        }
        connection.Send(packet);
    }

    /// <summary>The auth object, with the recovery pid and offset first when a previous session can be recovered (the app's own members win).</summary>
    private byte[] ConnectPayload()
    {
        if (_pid is null && _auth is null)
        {
            return [];
        }
        var payload = new JsonObject();
        if (_pid is not null)
        {
            payload["pid"] = _pid;
            if (_lastOffset is not null)
            {
                payload["offset"] = _lastOffset;
            }
        }
        if (_auth is not null)
        {
            foreach (var (name, value) in _auth)
            {
                payload[name] = value?.DeepClone();
            }
        }
        return JsonSerializer.SerializeToUtf8Bytes(payload, SocketJson.Options);
    }

    internal void OnEngineClose(DisconnectReason reason)
    {
        bool wasConnected;
        lock (_lock)
        {
            wasConnected = IsConnected;
            IsConnected = false;
            Id = null;
            _connectSentOn = null;
            _receiveBuffer.Clear();
        }
        FailAcks(reason, sentOnly: true);
        if (wasConnected)
        {
            _client.Raise(Disconnected, reason);
        }
    }

    internal void OnOpenFailed(Exception error)
    {
        if (!Active)
        {
            return;
        }
        _client.Raise(ConnectError, new SocketConnectErrorException(error.Message, null, isServerRefusal: false, error));
    }

    internal void OnGaveUp(int? attempts)
    {
        TaskCompletionSource? connecting;
        lock (_lock)
        {
            connecting = _connecting;
            _connecting = null;
        }
        connecting?.TrySetException(new SocketConnectErrorException(
            attempts is { } n ? $"Gave up reconnecting after {n} attempt(s)." : "The connection failed or closed before the namespace was joined, and reconnection is off.",
            null,
            isServerRefusal: false));
    }

    internal void OnPacket(SocketPacket packet, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        switch (packet.Type)
        {
            case SocketPacketType.Connect:
                OnConnect(packet.Data);
                break;
            case SocketPacketType.ConnectError:
                OnConnectError(packet.Data);
                break;
            case SocketPacketType.Disconnect:
                OnServerDisconnect();
                break;
            case SocketPacketType.Event or SocketPacketType.BinaryEvent:
                OnEvent(packet, attachments);
                break;
            case SocketPacketType.Ack or SocketPacketType.BinaryAck:
                OnAck(packet, attachments);
                break;
        }
    }

    private void OnConnect(ReadOnlyMemory<byte> data)
    {
        string? sid = null;
        string? pid = null;
        if (!data.IsEmpty)
        {
            using var json = JsonDocument.Parse(data);
            if (json.RootElement.TryGetProperty("sid", out var s) && s.ValueKind == JsonValueKind.String)
            {
                sid = s.GetString();
            }
            if (json.RootElement.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.String)
            {
                pid = p.GetString();
            }
        }
        List<SocketIOEvent> received;
        TaskCompletionSource? connecting;
        lock (_lock)
        {
            if (!Active)
            {
                return;
            }
            Id = sid;
            Recovered = pid is not null && pid == _pid;
            _pid = pid;
            IsConnected = true;
            received = [.. _receiveBuffer];
            _receiveBuffer.Clear();
            connecting = _connecting;
            _connecting = null;
        }
        // As socket.io-client: events that arrived before the CONNECT reply (a recovery's replay) first,
        // then what was emitted while offline, then the connect event.
        foreach (var e in received)
        {
            Dispatch(e);
        }
        FlushSendBuffer();
        _client.Raise(Connected);
        connecting?.TrySetResult();
    }

    private void OnConnectError(ReadOnlyMemory<byte> data)
    {
        var message = "Connection refused";
        JsonElement? details = null;
        using (var json = JsonDocument.Parse(data))
        {
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.String)
            {
                message = root.GetString() ?? message;
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    message = m.GetString() ?? message;
                }
                if (root.TryGetProperty("data", out var d))
                {
                    details = d.Clone();
                }
            }
        }
        Logger.ConnectRefused(Namespace, message);
        var error = new SocketConnectErrorException(message, details, isServerRefusal: true);
        TaskCompletionSource? connecting;
        lock (_lock)
        {
            Active = false;
            _connectSentOn = null;
            connecting = _connecting;
            _connecting = null;
        }
        _client.Raise(ConnectError, error);
        connecting?.TrySetException(error);
        _client.SocketLeft();
    }

    private void OnServerDisconnect()
    {
        bool wasConnected;
        lock (_lock)
        {
            wasConnected = IsConnected;
            IsConnected = false;
            Active = false;
            Id = null;
            _connectSentOn = null;
        }
        FailAcks(DisconnectReason.ServerDisconnect, sentOnly: true);
        if (wasConnected)
        {
            _client.Raise(Disconnected, DisconnectReason.ServerDisconnect);
        }
        _client.SocketLeft();
    }
}
