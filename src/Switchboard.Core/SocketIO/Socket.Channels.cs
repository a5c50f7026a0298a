using Switchboard.Channels;

namespace Switchboard.SocketIO;

public sealed partial class Socket
{
    /// <summary>
    /// Subscribes this socket to a channel (joins the room), atomically with respect to publications:
    /// with a position, the publications after it are sent to the socket first, as events like live ones;
    /// when the position cannot be continued, returns false in <see cref="SocketSubscription.Continuous"/>
    /// and sends nothing old. Live events follow either way.
    /// </summary>
    public ValueTask<SocketSubscription> SubscribeAsync(string channel, StreamPosition? since = null, CancellationToken cancellationToken = default)
    {
        var hub = Namespace.Channels;
        return hub.SubscribeMemberAsync(Id, () => Rooms.Contains(channel), channel, since,
            publication => Send(publication.SocketPacket(Namespace.Name, Namespace.Server.Options.Recovery is null ? null : hub.FormatOffset(publication.Seq))),
            () => Join(channel), cancellationToken);
    }
}
