using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Engine;
using Switchboard.Protocols;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.SocketIO;
using Switchboard.Timing;

namespace Switchboard.SocketIO;

/// <summary>
/// The Socket.IO side of one Engine.IO session: decodes packets (reassembling binary ones), connects
/// and disconnects namespaces, and routes events and acknowledgements to sockets.
/// </summary>
internal sealed partial class SocketClient : IEngineSessionHandler, IDeadlineTarget
{
    private static readonly JsonElement EmptyAuth = JsonDocument.Parse("{}").RootElement;

    private readonly SocketServer _server;
    private readonly NamespaceSockets _sockets = new();
    private SocketPacket _pending;
    private List<ReadOnlyMemory<byte>>? _pendingAttachments;
    private bool _everConnected;
    private bool _pendingOverLimit;

    // The connect timeout's deadline, cancelled once a namespace is joined or the session closes.
    private readonly long _connectTimeoutTicket;

    public SocketClient(SocketServer server, EngineSession session)
    {
        _server = server;
        Session = session;
        session.Handler = this;
        server.ConnectTimeoutLane.Schedule(this, 0, out _connectTimeoutTicket);
        if (session.Protocol == 3)
        {
            ConnectMainImplicitly();
        }
    }

    public EngineSession Session { get; }

    public void OnMessage(EngineSession session, EnginePacket packet)
    {
        if (_server.Options.Parser.DecodesWholeMessages)
        {
            OnWholeMessage(packet);
            return;
        }
        if (packet.IsBinary)
        {
            if (_pendingAttachments is null)
            {
                Fail("binary data without a binary packet");
                return;
            }
            ChargeAttachment(packet.Data.Length);
            _pendingAttachments.Add(packet.Data);
            if (_pendingAttachments.Count == _pending.AttachmentCount)
            {
                var attachments = _pendingAttachments;
                _pendingAttachments = null;
                if (_pendingOverLimit)
                {
                    DropOverLimit(_pending, attachments);
                }
                else
                {
                    Handle(_pending, attachments);
                }
            }
            return;
        }
        if (_pendingAttachments is not null)
        {
            Fail("text data while a binary packet is incomplete");
            return;
        }
        if (!SocketPacketReader.TryParse(packet.Data, out var parsed, out var error))
        {
            if (error == SocketPacketReader.PayloadTooDeep && parsed.Type == SocketPacketType.Connect)
            {
                // Well-formed but over our limit: a refusal the client can see, not a parse error
                // (which the official client would answer by reconnecting with the same payload).
                if (ShouldLog("socket.io connect refused"))
                {
                    _server.Log.ConnectRefused(Session.Id, parsed.Namespace, TooDeepMessage);
                }
                SendConnectError(parsed.Namespace, TooDeepMessage, null);
                return;
            }
            Fail(error ?? "invalid packet");
            return;
        }
        // A DISCONNECT always goes through: dropping it would only keep the connection longer.
        var admitted = AdmitPacket(packet.Data.Length) || parsed.Type == SocketPacketType.Disconnect;
        if (parsed.AttachmentCount > 0)
        {
            _pending = parsed;
            _pendingOverLimit = !admitted;
            _pendingAttachments = new List<ReadOnlyMemory<byte>>(parsed.AttachmentCount);
            return;
        }
        if (!admitted)
        {
            DropOverLimit(parsed, []);
            return;
        }
        Handle(parsed, []);
    }

    private void Handle(SocketPacket packet, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        switch (packet.Type)
        {
            case SocketPacketType.Connect:
                _ = Session.Protocol == 3 ? ConnectV3Async(packet.Namespace) : ConnectAsync(packet.Namespace, packet.Data);
                break;
            case SocketPacketType.Disconnect:
                if (FindOrFail(packet.Namespace) is { } leaving)
                {
                    leaving.OnDisconnect(DisconnectCode.ClientClosed, connectionClosed: false);
                }
                break;
            case SocketPacketType.Event or SocketPacketType.BinaryEvent:
                if (!SocketArguments.TryCreate(packet.Data, hasName: true, attachments, out var name, out var args))
                {
                    Fail("invalid event payload");
                    return;
                }
                if (FindOrFail(packet.Namespace) is { } socket)
                {
                    socket.Receive(new SocketEvent(socket, name!, args!, packet.AckId));
                }
                break;
            case SocketPacketType.Ack or SocketPacketType.BinaryAck:
                if (!SocketArguments.TryCreate(packet.Data, hasName: false, attachments, out _, out var ackArgs))
                {
                    Fail("invalid ack payload");
                    return;
                }
                if (!packet.HasAck)
                {
                    Fail("ack without an id");
                    return;
                }
                FindOrFail(packet.Namespace)?.OnAck(packet, ackArgs!);
                break;
            default:
                // CONNECT_ERROR only flows from server to client.
                break;
        }
    }

    private Socket? Find(string nsp)
    {
        lock (_sockets)
        {
            return _sockets.Find(nsp);
        }
    }

    /// <summary>
    /// The socket of a namespace this connection joined. A packet for a namespace it never joined is a
    /// protocol violation that closes the connection, as in socket.io; one for a namespace it has left is
    /// ignored, since it may have crossed the server's DISCONNECT on the wire.
    /// </summary>
    private Socket? FindOrFail(string nsp)
    {
        var socket = Find(nsp);
        if (socket is null)
        {
            bool left;
            lock (_sockets)
            {
                left = _left?.Contains(nsp) == true;
            }
            if (!left)
            {
                Fail($"packet for namespace {nsp}, which this connection has not joined");
            }
        }
        return socket;
    }

    private HashSet<string>? _left;

    internal void Remove(Socket socket)
    {
        lock (_sockets)
        {
            if (_sockets.Find(socket.Namespace.Name) == socket)
            {
                _sockets.Remove(socket.Namespace.Name);
                (_left ??= new HashSet<string>(StringComparer.Ordinal)).Add(socket.Namespace.Name);
            }
        }
    }

    /// <summary>Disconnects every namespace of this connection (each gets its DISCONNECT packet), then closes it.</summary>
    internal void DisconnectAll()
    {
        Socket[] sockets;
        lock (_sockets)
        {
            sockets = _sockets.ToArray();
        }
        foreach (var socket in sockets)
        {
            socket.Disconnect();
        }
        Session.Close(DisconnectCode.Disconnected);
    }

    /// <summary>Whether a refusal line of this kind may be written now (<see cref="Logging.LogThrottle"/>).</summary>
    private bool ShouldLog(string kind) => _server.Engine.Refusals.ShouldLog(_server.Log.Logger, kind);

    private void Fail(string reason)
    {
        if (ShouldLog("socket.io parse error"))
        {
            _server.Log.ParseError(Session.Id, reason);
        }
        // As socket.io: each socket gets the error, then leaves with "forced close" (the reason a
        // connection closed by the server gives); only Engine.IO's own parse errors say "parse error".
        Socket[] sockets;
        lock (_sockets)
        {
            sockets = _sockets.ToArray();
        }
        var error = new InvalidDataException(reason);
        foreach (var socket in sockets)
        {
            socket.RaiseError(error);
            socket.OnDisconnect(DisconnectCode.Disconnected, connectionClosed: true);
        }
        // Node closes such a connection as any server close (conn.close()): a polling client gets the
        // close packet on its next poll, where an Engine.IO parse error would answer it 400.
        Session.Close(DisconnectCode.Disconnected);
    }

    public void OnClose(EngineSession session, DisconnectCode code)
    {
        _server.ConnectTimeoutLane.Cancel(_connectTimeoutTicket);
        Socket[] sockets;
        lock (_sockets)
        {
            sockets = _sockets.ToArray();
        }
        foreach (var socket in sockets)
        {
            socket.OnDisconnect(code, connectionClosed: true);
        }
    }

    void IDeadlineTarget.OnDeadline(int token, long due)
    {
        if (!_everConnected && !Session.IsClosed)
        {
            if (ShouldLog("socket.io connect timeout"))
            {
                _server.Log.ConnectTimeout(Session.Id);
            }
            Session.Close(DisconnectCode.Disconnected);
        }
    }
}
