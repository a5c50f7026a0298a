namespace Switchboard.Channels;

/// <summary>
/// A live connection of a channel protocol (SSE, plain WebSocket, long-poll session), registered with
/// its namespace's <see cref="ChannelHub"/> so that the HTTP API can find and disconnect it.
/// </summary>
public interface IChannelConnection : IChannelSubscriber
{
    /// <summary>The protocol, e.g. <c>sse</c>, <c>websocket</c>, <c>longpoll</c>.</summary>
    string Protocol { get; }

    /// <summary>Ends the connection from the server side, telling the client why where the protocol can.</summary>
    void Disconnect(string reason);
}
