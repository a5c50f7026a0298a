using Switchboard.Channels;
using Switchboard.Cluster;
using Switchboard.Engine;

namespace Switchboard.SocketIO;

/// <summary>
/// A namespace's sockets as one kind of channel subscriber (docs/decisions/0008): the hub hands a
/// publication here once, and it goes out as one Socket.IO packet, encoded once, to the rooms' members.
/// </summary>
internal sealed class NamespaceRooms(Namespace nsp) : IRoomSubscribers
{
    public bool StoresEverything => nsp.Server.Options.Recovery is not null;

    public int Deliver(ChannelHub hub, Publication publication, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except)
    {
        // With recovery on, the offset is the last argument, as socket.io appends it.
        var offset = nsp.Server.Options.Recovery is null ? null : hub.FormatOffset(publication.Seq);
        return nsp.Adapter.DeliverLocal(publication.SocketPacket(nsp.Name, offset), new BroadcastOptions(rooms, except));
    }

    public bool Contains(string id) => nsp.Sockets.ContainsKey(id);

    public bool Disconnect(string id)
    {
        if (nsp.Sockets.TryGetValue(id, out var socket))
        {
            socket.Disconnect();
            return true;
        }
        return false;
    }

    public IReadOnlyCollection<string> Rooms => nsp.Adapter.Rooms;

    public int RoomSize(string room) => nsp.Adapter.RoomSize(room);

    public void AddPresence(string room, string? node, List<PresenceMember> members)
    {
        foreach (var socket in nsp.Adapter.SocketsIn(room))
        {
            members.Add(new PresenceMember(socket.Id, socket.Data.TryGetValue("userId", out var user) ? user?.ToString() : null, "socket.io", node));
        }
    }

    public EngineTransportKind? TransportOf(string id) =>
        nsp.Sockets.TryGetValue(id, out var socket) ? socket.Client.Session.Transport : null;

    public async ValueTask<bool> DisconnectElsewhereAsync(string id, string reason, CancellationToken cancellationToken)
    {
        if (nsp.Server.ClusterOperations is not { } operations)
        {
            return false;
        }
        var body = ClusterWire.Write(w =>
        {
            w.WriteString("connection"u8, id);
            w.WriteString("reason"u8, reason);
        });
        var replies = await operations.AskAsync(nsp, "disconnect-connection", [], body, cancellationToken: cancellationToken).ConfigureAwait(false);
        return replies.Any(r => r.Body.Span.SequenceEqual("1"u8));
    }

    public async ValueTask<IReadOnlyList<PresenceMember>> PresenceElsewhereAsync(string channel, CancellationToken cancellationToken)
    {
        if (nsp.Server.ClusterOperations is not { } operations)
        {
            return [];
        }
        var members = new List<PresenceMember>();
        var body = ClusterWire.Write(w => w.WriteString("channel"u8, channel));
        foreach (var reply in await operations.AskAsync(nsp, "presence", [channel], body, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            members.AddRange(ClusterOperations.ReadPresence(reply.Body));
        }
        return members;
    }
}
