using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>The event names Socket.IO keeps for itself: as Node's server, emitting one throws.</summary>
internal static class ReservedEvents
{
    public static void ThrowIfReserved(string eventName)
    {
        if (SocketPacketReader.IsReservedEvent(eventName))
        {
            // A client would take it for its own lifecycle event ("connect", "disconnect", ...).
            throw new ArgumentException($"\"{eventName}\" is a reserved event name", nameof(eventName));
        }
    }
}
