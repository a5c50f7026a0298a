using Switchboard.Protocols;

namespace Switchboard.Connections;

/// <summary>
/// What every connection is to the server, whatever its protocol and transport: an Engine.IO session
/// (WebSocket or polling, under Socket.IO), an SSE stream, a plain WebSocket, a long-poll. Each has one
/// outbound queue with a byte budget and timed writes (<see cref="Engine.OutboundQueue{T}"/>), and ends
/// with a code of the one table (<see cref="DisconnectCode"/>, docs/disconnect-reasons.md); when it ends,
/// for any reason, its queue is released at once and its transport dropped if a write is stuck.
/// </summary>
public interface IConnection
{
    /// <summary>The connection's id: the Engine.IO sid, or the channel connection's id.</summary>
    string Id { get; }

    /// <summary><c>engine.io</c>, <c>sse</c>, <c>websocket</c> or <c>longpoll</c>.</summary>
    string Protocol { get; }

    /// <summary>The bytes waiting for the client now.</summary>
    long QueuedBytes { get; }

    /// <summary>The connection's outbound byte budget.</summary>
    long MaxQueuedBytes { get; }

    /// <summary>Whether a write to the client is under way (timed against the send time limit).</summary>
    bool IsSending { get; }

    /// <summary>Whether the connection has ended.</summary>
    bool IsClosed { get; }

    /// <summary>Ends the connection from the server side with <paramref name="code"/>, telling the client where the protocol can; the first call wins.</summary>
    void Disconnect(DisconnectCode code, string? message = null);
}
