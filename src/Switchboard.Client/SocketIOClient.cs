using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Client;

/// <summary>
/// A connection to one Socket.IO server (socket.io-client's <c>Manager</c>): one Engine.IO connection over
/// a WebSocket that carries every namespace's <see cref="ClientSocket"/>, re-established with backoff when
/// it is lost.
/// </summary>
/// <example>
/// <code>
/// await using var client = new SocketIOClient(new Uri("http://localhost:3000"));
/// var socket = client.Socket("/chat", auth: new { token });
/// socket.On("message", e => Console.WriteLine(e.Args[0]));
/// await socket.ConnectAsync(ct);
/// var reply = await socket.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("hello", "world");
/// </code>
/// </example>
public sealed partial class SocketIOClient : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ClientSocket> _sockets = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _gate = new();
    private EngineConnection? _connection;
    private Task? _loop;
    private bool _running;
    private PendingBinary? _pendingBinary;

    public SocketIOClient(Uri server, SocketIOClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        Options = options ?? new SocketIOClientOptions();
        Logger = Options.Logger;
    }

    public Uri Server { get; }

    public SocketIOClientOptions Options { get; }

    internal ILogger Logger { get; }

    /// <summary>The Engine.IO session id of the current connection, or null while disconnected.</summary>
    public string? EngineId => _connection?.Sid;

    /// <summary>The transport of the current connection (it changes from polling to WebSocket on an upgrade), or null while disconnected.</summary>
    public ClientTransport? Transport => _connection?.Transport;

    /// <summary>The connection moved from HTTP long-polling to WebSocket.</summary>
    public event Action? Upgraded;

    /// <summary>
    /// The socket of a namespace (the same object for the same name; the auth of the first call stays). <paramref name="auth"/> is the CONNECT
    /// payload (serialized as JSON; an object); it is sent again on every reconnection.
    /// </summary>
    public ClientSocket Socket(string nsp = "/", object? auth = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(nsp);
        if (nsp[0] != '/')
        {
            nsp = "/" + nsp;
        }
        return _sockets.GetOrAdd(nsp, static (name, state) => new ClientSocket(state.client, name, state.auth), (client: this, auth));
    }

    /// <summary>Disconnects every socket and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets.Values)
        {
            socket.Disconnect();
        }
        await _disposed.CancelAsync().ConfigureAwait(false);
        _connection?.Close(DisconnectReason.ClientDisconnect);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Starts connecting if nothing is running yet; a socket that becomes active calls it.</summary>
    internal void EnsureRunning()
    {
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(SocketIOClient));
            }
            // The loop clears _running under this lock when it finds no active socket, so a socket that
            // became active just before is either seen by the loop or starts a new one here.
            if (!_running)
            {
                _running = true;
                _loop = Task.Run(RunAsync);
            }
        }
    }

    /// <summary>The current connection, when it is open.</summary>
    internal EngineConnection? OpenConnection => _connection is { Closed.IsCompleted: false } open ? open : null;

    /// <summary>A socket left: when no socket is active any more, the connection closes (as socket.io-client's manager does).</summary>
    internal void SocketLeft()
    {
        if (_sockets.Values.Any(s => s.Active))
        {
            return;
        }
        _connection?.Close(DisconnectReason.ClientDisconnect);
    }

    private void OnEnginePacket(EnginePacket packet)
    {
        if (packet.IsBinary)
        {
            if (_pendingBinary is not { } pending)
            {
                Fail("a binary message that no packet announced");
                return;
            }
            pending.Attachments.Add(packet.Data);
            if (pending.Attachments.Count == pending.Packet.AttachmentCount)
            {
                _pendingBinary = null;
                Route(pending.Packet, pending.Attachments);
            }
            return;
        }
        if (_pendingBinary is not null)
        {
            Fail("a text packet while binary attachments were expected");
            return;
        }
        if (!SocketPacketReader.TryParse(packet.Data, out var parsed, out var error))
        {
            Fail(error ?? "invalid packet");
            return;
        }
        if (parsed.AttachmentCount > 0)
        {
            _pendingBinary = new PendingBinary(parsed, new List<ReadOnlyMemory<byte>>(parsed.AttachmentCount));
            return;
        }
        Route(parsed, []);
    }

    private void Route(SocketPacket packet, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (_sockets.TryGetValue(packet.Namespace, out var socket))
        {
            socket.OnPacket(packet, attachments);
        }
    }

    private void Fail(string error)
    {
        Logger.ParseError(error);
        _connection?.Close(DisconnectReason.ParseError);
    }

    private sealed record PendingBinary(SocketPacket Packet, List<ReadOnlyMemory<byte>> Attachments);
}
