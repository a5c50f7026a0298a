using Switchboard.Protocols;
using Switchboard.Protocols.EngineIO;
using Switchboard.Timing;

namespace Switchboard.Engine;

/// <summary>The transport of an Engine.IO session.</summary>
public enum EngineTransportKind
{
    /// <summary>HTTP long-polling.</summary>
    Polling,
    /// <summary>WebSocket.</summary>
    WebSocket,
}

/// <summary>
/// An Engine.IO session: its id, state, heartbeat and outbound queue. It is not its transport: it
/// outlives polling requests and the upgrade to WebSocket. Transports read frames from
/// <see cref="Outbound"/> and hand incoming packets to <see cref="Receive"/>.
/// </summary>
public sealed partial class EngineSession : IDeadlineTarget, Connections.IConnection
{
    private readonly EngineServer _server;
    private readonly OutboundQueue _outbound = new();

    // Not the state lock: a handler blocked inside a message must not stall the heartbeat scan or an upgrade.
    private readonly object _receiveLock = new();
    private int _closed;

    // The connection carrying the session while a transport runs it (null between polls).
    private IEngineTransportHandle? _transport;


    internal EngineSession(EngineServer server, string id, EngineTransportKind transport, EngineRequest request)
    {
        _server = server;
        _outbound.MaxBytes = server.Options.MaxQueuedBytes;
        Id = id;
        Transport = transport;
        Request = request;
        _protocol = ProtocolOf(request);
    }

    /// <summary>The session id (<c>sid</c>).</summary>
    public string Id { get; }

    /// <summary>The handshake request.</summary>
    public EngineRequest Request { get; }

    /// <summary>The transport the session uses now.</summary>
    public EngineTransportKind Transport { get; private set; }

    /// <summary>The server that holds the session.</summary>
    public EngineServer Server => _server;

    /// <summary>What receives the session's messages and its close.</summary>
    public IEngineSessionHandler? Handler { get; set; }

    /// <summary>Whether the session has closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>
    /// Why the session closed, once it has: its row in the one table of disconnect codes
    /// (docs/disconnect-reasons.md). Socket.IO derives its reason strings from it.
    /// </summary>
    public DisconnectCode? CloseCode { get; private set; }

    /// <summary>Why the session closed, once it has, in the former Engine.IO vocabulary.</summary>
    [Obsolete("Use CloseCode: the session closes with a DisconnectCode (docs/disconnect-reasons.md).")]
    public EngineCloseReason? CloseReason => CloseCode is { } code ? EngineCloseReasons.FromCode(code) : null;

    /// <summary>
    /// Closed by the server or the client while no poll was held: the next poll still gets what was
    /// queued, then the close packet (or, after a client's close, a noop).
    /// </summary>
    internal bool Draining { get; private set; }

    /// <summary>
    /// True from the client's close packet until <see cref="Close(DisconnectCode)"/> has decided whether the session drains:
    /// the client sends its close POST and its pending GET at once, and that GET, looked up in between, must
    /// get the noop Node answers, not 400 "Session ID unknown". Only a client close opens this window; every
    /// other close is decided before a poll can race it as before.
    /// </summary>
    internal bool ClientCloseUnsettled => Volatile.Read(ref _clientClosing) && !Volatile.Read(ref _closeSettled);

    private bool _clientClosing;
    private bool _closeSettled;

    /// <summary>True while a poll is held by the server waiting for data, or a WebSocket is attached.</summary>
    public bool IsWritable => !IsClosed && (Transport == EngineTransportKind.WebSocket || PollPending);

    internal OutboundQueue Outbound => _outbound;

    /// <summary>
    /// Queues a frame. Returns false when the session is closed, or when the frame would take its queue
    /// past <see cref="EngineOptions.MaxQueuedBytes"/>: the session is then closed as a slow consumer.
    /// </summary>
    public bool Send(in OutboundFrame frame) => Accepted(_outbound.Write(frame));

    /// <summary>
    /// Queues a frame, or sends it on this thread when the WebSocket's writer is idle and nothing is
    /// queued (no thread-pool hand-off). For a single reply (an ack, a ping), not for a loop over many
    /// sessions: there, one connection's send would delay the next ones. Returns false when the session is closed.
    /// </summary>
    internal bool SendDirect(in OutboundFrame frame) => Accepted(_outbound.Write(frame, direct: true));

    private bool Accepted(QueueWrite result)
    {
        if (result == QueueWrite.OverBudget)
        {
            OnOverBudget();
        }
        return result == QueueWrite.Written;
    }

    /// <summary>
    /// The client does not read what it is sent. Its queue is released at once and refuses anything more;
    /// the close itself (which runs the application's handlers) happens off this thread, which may be a
    /// broadcast in the middle of a room's members.
    /// </summary>
    private void OnOverBudget()
    {
        var queued = _outbound.QueuedBytes;
        _outbound.Complete(discard: true);
        if (IsClosed)
        {
            return;
        }
        _server.Log.OverBudget(Id, queued, _outbound.MaxBytes);
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Close(DisconnectCode.SlowConsumer), this, preferLocal: false);
    }

    string Connections.IConnection.Protocol => "engine.io";

    /// <summary>The bytes waiting for the client now.</summary>
    public long QueuedBytes => _outbound.QueuedBytes;

    /// <summary>The session's outbound byte budget (<see cref="EngineOptions.MaxQueuedBytes"/>).</summary>
    public long MaxQueuedBytes => _outbound.MaxBytes;

    /// <summary>Whether a write to the client is under way.</summary>
    public bool IsSending => _outbound.IsSending;

    /// <summary>Closes the session with <paramref name="code"/> (the message is not sent: Engine.IO has no place for it).</summary>
    public void Disconnect(DisconnectCode code, string? message = null) => Close(code);

    /// <summary>A transport starts carrying the session: replies may be sent through it directly, and it can be dropped.</summary>
    internal void AttachTransport(IEngineTransportHandle? transport)
    {
        _transport = transport;
        _outbound.AttachSender(transport);
    }

    /// <summary>The transport starts a write to the client (the send scan times it).</summary>
    internal void BeginSend() => _outbound.BeginSend(_server.Time.GetTimestamp());

    /// <summary>The write begun with <see cref="BeginSend"/> is done.</summary>
    internal void EndSend() => _outbound.EndSend();

    /// <summary>Called by the server's send scan: a write that has taken longer than the send timeout closes the session.</summary>
    internal void CheckSend(long now)
    {
        if (!IsClosed && _outbound.TryExpireSend(now, _server.Options.SendTimeout, _server.Time))
        {
            _server.Log.SendTimedOut(Id, _server.Options.SendTimeout);
            Close(DisconnectCode.SlowConsumer);
        }
    }

    /// <summary>Queues an Engine.IO message packet whose bytes are already encoded (<c>4...</c>).</summary>
    public bool SendEncodedMessage(ReadOnlyMemory<byte> encodedPacket) => Send(OutboundFrame.Text(encodedPacket));

    /// <summary>Queues an encoded message and the binary messages that must follow it, as one unit.</summary>
    public bool SendEncodedMessage(ReadOnlyMemory<byte> encodedPacket, ReadOnlyMemory<byte>[] attachments) =>
        Send(OutboundFrame.Text(encodedPacket, attachments));

    /// <summary>Queues a text message, adding the message type digit.</summary>
    public bool SendText(ReadOnlySpan<byte> utf8) => Send(OutboundFrame.Text(EngineCodec.EncodeText(EnginePacketType.Message, utf8)));

    /// <summary>Queues a binary MESSAGE; false when the session is closed or over its byte budget.</summary>
    public bool SendBinary(ReadOnlyMemory<byte> data) => Send(OutboundFrame.Binary(data));

    /// <summary>Hands one incoming packet to the session. Returns false if it closed the session.</summary>
    public bool Receive(in EnginePacket packet)
    {
        if (IsClosed)
        {
            return false;
        }
        if (Protocol == 3 && packet.Type is EnginePacketType.Ping or EnginePacketType.Pong)
        {
            return ReceiveV3Heartbeat(packet);
        }
        switch (packet.Type)
        {
            case EnginePacketType.Message:
                CountReceived(1, packet.Data.Length);
                lock (_receiveLock)
                {
                    Handler?.OnMessage(this, packet);
                }
                return !IsClosed;
            case EnginePacketType.Pong:
                OnPong();
                return true;
            case EnginePacketType.Close:
                Volatile.Write(ref _clientClosing, true);
                Close(DisconnectCode.ClientClosed);
                return false;
            case EnginePacketType.Ping:
                // In Engine.IO v4 only the server pings; "2probe" is handled by the upgrading transport.
                _server.Log.InvalidHeartbeatDirection(Id);
                Close(DisconnectCode.BadRequest);
                return false;
            default:
                return true;
        }
    }

    /// <summary>
    /// A poll has just taken the last queued packets of a server-closed session: the close packet goes in the
    /// next poll's answer, not this one. Socket.IO clients handle DISCONNECT packets a tick after the packet
    /// that carries them, so a close packet in the same payload would overtake them (the client would see
    /// "transport close" before "io server disconnect"). The session stays findable until that poll comes.
    /// </summary>
    internal void DeferClosePacket()
    {
        if (!Draining)
        {
            Draining = true;
            _server.ScheduleDrainExpiry(this, clientClose: false);
        }
    }

    /// <summary>Closes the session once, in the former Engine.IO vocabulary (<see cref="Close(DisconnectCode)"/>).</summary>
    [Obsolete("Use Close(DisconnectCode): the session closes with a DisconnectCode (docs/disconnect-reasons.md).")]
    public void Close(EngineCloseReason reason) => Close(reason.ToCode());

    /// <summary>
    /// Closes the session once with <paramref name="code"/>; queued frames may still be drained by the
    /// transport when the server closes it (<see cref="DisconnectCode.Disconnected"/>,
    /// <see cref="DisconnectCode.Shutdown"/>).
    /// </summary>
    public void Close(DisconnectCode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        CloseCode = code;
        lock (StateLock)
        {
            _heartbeatToken++;
            CancelHeartbeatDeadline();
            CountClosed(code);
        }
        // A server close still delivers what is queued (the DISCONNECT packets); any other end releases the queue at once.
        var serverClose = IsServerClose(code);
        var graceful = serverClose || code == DisconnectCode.Shutdown;
        _outbound.Complete(discard: !graceful);
        if (code == DisconnectCode.SlowConsumer)
        {
            // The client is not reading: the write in progress would wait for it forever.
            _transport?.Abort();
        }
        else if (!graceful && _outbound.IsSending)
        {
            AbortIfStillSending();
        }
        _upgradeSettled?.TrySetResult();
        if (Transport == EngineTransportKind.Polling && PollPending && serverClose)
        {
            // The held poll takes the queued packets now; the close packet may have to wait for the next
            // poll (DeferClosePacket), so the transport removes the session. The drain expiry is the
            // backstop for a poll that is aborted instead.
            _server.ScheduleDrainExpiry(this, clientClose: false);
        }
        else if (Transport == EngineTransportKind.Polling && !PollPending && (graceful || code == DisconnectCode.ClientClosed))
        {
            // Nobody is polling right now: keep the session findable until the next poll has taken the
            // queued packets and the close packet (or until a heartbeat's time has passed). A client
            // sends its close POST and its GET at once; when the POST is handled first, the GET must
            // still get the noop Node answers, not 400.
            Draining = true;
            _server.ScheduleDrainExpiry(this, clientClose: code == DisconnectCode.ClientClosed);
        }
        else
        {
            _server.Remove(this);
        }
        Volatile.Write(ref _closeSettled, true);
        _server.Log.SessionClosed(Id, code);
        try
        {
            Handler?.OnClose(this, code);
        }
        catch (Exception ex)
        {
            _server.Log.HandlerFailed(Id, ex);
        }
    }

    /// <summary>How long a write in progress when the session closed (not by the server) may take before the connection is dropped.</summary>
    internal static readonly TimeSpan StuckWriteGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The session closed (the client's close, a transport error, a ping timeout) while a write was under way.
    /// The client may be gone and the write never finish, but it may as well be finishing: a client that read
    /// the last message and closed at once sees its close answered only if the connection is not dropped now
    /// (dropping it discards what is written but not yet sent, the close frame included). The send scan no
    /// longer times a closed session, so the write gets <see cref="StuckWriteGrace"/>, then the connection goes.
    /// </summary>
    private void AbortIfStillSending()
    {
        var check = new StuckWriteCheck(this);
        check.Timer = _server.Time.CreateTimer(static state => ((StuckWriteCheck)state!).Run(), check, StuckWriteGrace, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A one-shot timer's state; it holds the timer, so the timer lives until it has fired (an unreferenced timer is collected unfired).</summary>
    private sealed class StuckWriteCheck(EngineSession session)
    {
        public ITimer? Timer;

        public void Run()
        {
            Timer?.Dispose();
            if (session._outbound.IsSending)
            {
                session._transport?.Abort();
            }
        }
    }

    /// <summary>
    /// The server ended the connection on purpose (the application, a connect timeout, an internal failure,
    /// a rate limit): what is queued is still delivered, and a polling client gets the close packet.
    /// </summary>
    internal static bool IsServerClose(DisconnectCode code) =>
        code == DisconnectCode.Disconnected || code == DisconnectCode.Internal || code == DisconnectCode.RateLimited;
}
