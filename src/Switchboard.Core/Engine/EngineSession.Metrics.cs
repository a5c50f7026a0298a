using Switchboard.Diagnostics;

namespace Switchboard.Engine;

public sealed partial class EngineSession
{
    // The attributes the session is counted under in switchboard.connections (null: not counted), changed
    // only under the state lock, so the upgrade's move and the close's decrement pair up.
    private ConnectionTags? _counted;
    private long _openedAt;

    // What was written over each transport, while the sent traffic is observed; moved to the server's
    // totals when the session leaves it (_retired), after which a late write goes there directly.
    private SentTraffic _sentPolling;
    private SentTraffic _sentWebSocket;
    private int _retired;

    /// <summary>The attributes of this session's transport, for the per-message instruments.</summary>
    internal ConnectionTags Tags => _server.TagsOf(Transport);

    internal SwitchboardMetrics? Metrics => _server.Metrics;

    /// <summary>The session is open: counted as a connection of its transport.</summary>
    internal void CountOpened()
    {
        if (_server.Metrics is not { } metrics)
        {
            return;
        }
        lock (StateLock)
        {
            _openedAt = _server.Time.GetTimestamp();
            _counted = _server.TagsOf(Transport);
        }
        metrics.Opened(_counted);
    }

    /// <summary>The upgrade completed (under the state lock): the connection moves to WebSocket's count.</summary>
    private void CountUpgraded()
    {
        if (_counted is { } from && _server.Metrics is { } metrics && !IsClosed)
        {
            _counted = _server.WebSocketTags;
            metrics.Moved(from, _counted);
        }
    }

    /// <summary>The session closed (under the state lock).</summary>
    private void CountClosed(Protocols.DisconnectCode code)
    {
        if (_counted is { } tags && _server.Metrics is { } metrics)
        {
            _counted = null;
            metrics.Closed(tags, _openedAt, _server.Time, code);
        }
    }

    /// <summary>A transport wrote <paramref name="messages"/> messages of <paramref name="bytes"/> bytes in all (once per drain or answer).</summary>
    internal void CountSent(long messages, long bytes)
    {
        if (_server.Metrics?.TrafficObserved != true)
        {
            return;
        }
        var transport = Transport;
        if (Volatile.Read(ref _retired) != 0)
        {
            _server.CountRetiredSent(transport, messages, bytes);
        }
        else if (transport == EngineTransportKind.WebSocket)
        {
            _sentWebSocket.Add(messages, bytes);
        }
        else
        {
            _sentPolling.Add(messages, bytes);
        }
    }

    /// <summary>Adds this session's sent traffic to <paramref name="traffic"/> (the server holds its traffic lock).</summary>
    internal void ObserveSent(TrafficObservation traffic)
    {
        traffic.Add(_server.PollingTags, _sentPolling);
        traffic.Add(_server.WebSocketTags, _sentWebSocket);
    }

    /// <summary>The session leaves the server (under its traffic lock): its counts join the server's totals.</summary>
    internal void RetireSent(ref SentTraffic polling, ref SentTraffic webSocket)
    {
        Volatile.Write(ref _retired, 1);
        var p = _sentPolling.Read();
        var w = _sentWebSocket.Read();
        polling.Add(p.Messages, p.Bytes);
        webSocket.Add(w.Messages, w.Bytes);
    }

    /// <summary>A transport received <paramref name="messages"/> messages of <paramref name="bytes"/> bytes in all.</summary>
    internal void CountReceived(long messages, long bytes) => _server.Metrics?.Received(Tags, messages, bytes);
}
