namespace Switchboard.Channels;

/// <summary>
/// A connection of a channel protocol (SSE, plain WebSocket, long-poll) subscribed to channels. It is
/// called in the namespace's publication order and must only queue the entry, never block.
/// </summary>
public interface IChannelSubscriber
{
    /// <summary>The connection's id, which a publisher may exclude.</summary>
    string ConnectionId { get; }

    /// <summary>The user behind the connection, when it authenticated as one (presence counts distinct users).</summary>
    string? UserId => null;

    /// <summary>Queues one publication (live, or replayed from history on subscribe).</summary>
    void Deliver(in ChannelEntry entry);

    /// <summary>
    /// Queues the notice that the position asked for in <paramref name="channel"/> cannot be continued
    /// (another epoch, or history already trimmed): the subscriber goes on live from <paramref name="top"/>.
    /// </summary>
    void Discontinuity(string channel, StreamPosition top);
}
