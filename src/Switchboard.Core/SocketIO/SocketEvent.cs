using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>An incoming event: its name, arguments, and the means to acknowledge it once.</summary>
public sealed class SocketEvent
{
    private int _acked;

    internal SocketEvent(Socket socket, string name, SocketArguments args, long ackId)
    {
        Socket = socket;
        Name = name;
        Args = args;
        AckId = ackId;
    }

    /// <summary>The socket the event came from.</summary>
    public Socket Socket { get; }

    /// <summary>The event name.</summary>
    public string Name { get; }

    /// <summary>The arguments, as the client sent them.</summary>
    public SocketArguments Args { get; }

    internal long AckId { get; }

    /// <summary>Whether the client asked for an acknowledgement.</summary>
    public bool WantsAck => AckId != SocketPacket.NoAck;

    /// <summary>Whether <see cref="Ack"/> has been called.</summary>
    public bool Acked => System.Threading.Volatile.Read(ref _acked) != 0;

    /// <summary>
    /// Sends the acknowledgement with these arguments (each value one argument: <c>Ack(list)</c> answers one
    /// array, <c>Ack(null)</c> one null). Only the first call sends anything.
    /// </summary>
    public bool Ack(params EmitArgs args)
    {
        if (!WantsAck || Interlocked.Exchange(ref _acked, 1) != 0)
        {
            return false;
        }
        Socket.SendAck(AckId, args);
        return true;
    }

    /// <summary>Shorthand for <c>Args.Get&lt;T&gt;(index)</c>.</summary>
    public T? Arg<T>(int index = 0) => Args.Get<T>(index);
}
