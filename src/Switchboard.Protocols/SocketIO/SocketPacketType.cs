namespace Switchboard.Protocols.SocketIO;

/// <summary>Socket.IO v5 packet types; the value is the digit written on the wire.</summary>
public enum SocketPacketType : byte
{
    /// <summary>Joins a namespace (client) or confirms the join (server).</summary>
    Connect = 0,
    /// <summary>Leaves a namespace.</summary>
    Disconnect = 1,
    /// <summary>An event: a JSON array of the name and the arguments.</summary>
    Event = 2,
    /// <summary>The acknowledgement of an event.</summary>
    Ack = 3,
    /// <summary>Refuses a namespace join.</summary>
    ConnectError = 4,
    /// <summary>An event with binary attachments.</summary>
    BinaryEvent = 5,
    /// <summary>An acknowledgement with binary attachments.</summary>
    BinaryAck = 6,
}
