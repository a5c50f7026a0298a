using Switchboard.Protocols.SocketIO;

namespace Switchboard.Client;

/// <summary>An event the server sent to a <see cref="ClientSocket"/>.</summary>
public sealed class SocketIOEvent
{
    private readonly ClientSocket _socket;
    private readonly long _ackId;
    private int _acked;

    internal SocketIOEvent(ClientSocket socket, string name, ReceivedArguments args, long ackId)
    {
        _socket = socket;
        Name = name;
        Args = args;
        _ackId = ackId;
    }

    public string Name { get; }

    public ReceivedArguments Args { get; }

    /// <summary>Whether the server waits for an acknowledgement (it emitted with a callback).</summary>
    public bool WantsAck => _ackId >= 0;

    /// <summary>
    /// Answers the server's acknowledgement callback with these arguments. Only the first call counts; it
    /// does nothing when the server did not ask for an ack or the socket is no longer connected.
    /// </summary>
    public void Ack(params EmitArgs args)
    {
        if (_ackId < 0 || Interlocked.Exchange(ref _acked, 1) != 0)
        {
            return;
        }
        _socket.SendAck(_ackId, args);
    }
}
