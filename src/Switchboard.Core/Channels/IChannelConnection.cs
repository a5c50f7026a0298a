using Switchboard.Connections;

namespace Switchboard.Channels;

/// <summary>
/// A live connection of a channel protocol (SSE, plain WebSocket, long-poll session), registered with
/// its namespace's <see cref="ChannelHub"/> so that the HTTP API can find and disconnect it. It is a
/// connection like every other (<see cref="IConnection"/>: its protocol, queue, and the one disconnect
/// vocabulary) that also takes channel publications (<see cref="IChannelSubscriber"/>).
/// </summary>
public interface IChannelConnection : IChannelSubscriber, IConnection
{
}
