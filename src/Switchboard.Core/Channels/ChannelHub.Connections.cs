using Switchboard.Protocols;

namespace Switchboard.Channels;

public sealed partial class ChannelHub : Connections.ISendScanned
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IChannelConnection> _connections = new(StringComparer.Ordinal);

    // The hub's connections are timed by the server's one send scan (Connections.SendScan), which this hub
    // joins with its first connection.
    private int _scanned;

    /// <summary>Makes the server's send scan walk this hub's connections, at least a quarter of <paramref name="sendTimeout"/> apart.</summary>
    internal void ScanSendsWithin(TimeSpan sendTimeout)
    {
        if (Interlocked.Exchange(ref _scanned, 1) == 0)
        {
            _sendScan.Add(this, sendTimeout);
        }
        else
        {
            _sendScan.Within(sendTimeout);
        }
    }

    void Connections.ISendScanned.CheckSends(long now)
    {
        // The dictionary itself, not Values: no snapshot per tick.
        foreach (var pair in _connections)
        {
            (pair.Value as ChannelConnection)?.CheckSend(now);
        }
    }

    /// <summary>Registers a channel-protocol connection so it can be found by id (HTTP API disconnect).</summary>
    public void Register(IChannelConnection connection)
    {
        _connections[connection.ConnectionId] = connection;
        if (connection is ChannelConnection channelConnection)
        {
            ScanSendsWithin(channelConnection.SendTimeout);
        }
    }

    /// <summary>The channel-protocol connections open on this node now (SSE streams, held long-polls, plain WebSockets).</summary>
    public IEnumerable<IChannelConnection> Connections => _connections.Values;

    /// <summary>Forgets a connection that has ended.</summary>
    public void Unregister(IChannelConnection connection) => UnregisterCounted(connection);

    /// <summary>
    /// Disconnects a connection by id: a channel-protocol connection, or a Socket.IO socket of this
    /// namespace. Returns false when no such connection is on this node.
    /// </summary>
    public bool Disconnect(string connectionId, string reason = "disconnected by the server")
    {
        if (_connections.TryGetValue(connectionId, out var connection))
        {
            connection.Disconnect(DisconnectCode.Disconnected, reason);
            return true;
        }
        return _rooms.Disconnect(connectionId);
    }

    /// <summary>Disconnects a connection by id on whichever node of the cluster has it; false when none does.</summary>
    public async ValueTask<bool> DisconnectAsync(string connectionId, string reason = "disconnected by the server", CancellationToken cancellationToken = default) =>
        Disconnect(connectionId, reason) || await _rooms.DisconnectElsewhereAsync(connectionId, reason, cancellationToken).ConfigureAwait(false);
}
