using Switchboard.Protocols;

namespace Switchboard.Channels;

public sealed partial class ChannelHub
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IChannelConnection> _connections = new(StringComparer.Ordinal);

    // One scan of every connection's write in progress, a quarter of the shortest send timeout apart,
    // started with the first connection (rather than a timer per write).
    private ITimer? _sendScan;
    private long _scanPeriodTicks = long.MaxValue;
    private readonly Lock _scanGate = new();

    /// <summary>Makes the send scan run at least a quarter of <paramref name="sendTimeout"/> apart.</summary>
    internal void ScanSendsWithin(TimeSpan sendTimeout)
    {
        var period = Math.Max(sendTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10);
        if (period >= Volatile.Read(ref _scanPeriodTicks))
        {
            return;
        }
        lock (_scanGate)
        {
            if (period >= _scanPeriodTicks)
            {
                return;
            }
            _scanPeriodTicks = period;
            _sendScan ??= Time.CreateTimer(static state => ((ChannelHub)state!).ScanSends(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _sendScan.Change(TimeSpan.FromTicks(period), TimeSpan.FromTicks(period));
        }
    }

    private void ScanSends()
    {
        var now = Time.GetTimestamp();
        foreach (var connection in _connections.Values)
        {
            (connection as ChannelConnection)?.CheckSend(now);
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
