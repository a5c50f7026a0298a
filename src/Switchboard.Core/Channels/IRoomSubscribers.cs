using Switchboard.Engine;

namespace Switchboard.Channels;

/// <summary>
/// The subscribers a hub reaches through rooms rather than one by one: a Socket.IO namespace's sockets
/// (a room is a channel, docs/decisions/0008). The hub hands each publication here once, with the rooms
/// it targets; the implementation encodes it once for all its members. It lives above Channels
/// (SocketIO implements it), so Channels never names a Socket.IO type.
/// </summary>
internal interface IRoomSubscribers
{
    /// <summary>Whether emits to everyone and to connection ids are publications too (Socket.IO recovery is on).</summary>
    bool StoresEverything { get; }

    /// <summary>Delivers a stored publication to the members of <paramref name="rooms"/> (everyone when empty) minus those in <paramref name="except"/>; returns how many got it.</summary>
    int Deliver(ChannelHub hub, Publication publication, IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except);

    /// <summary>Whether <paramref name="id"/> is one of these members (its own room is then private).</summary>
    bool Contains(string id);

    /// <summary>Disconnects the member <paramref name="id"/>; false when there is none.</summary>
    bool Disconnect(string id);

    /// <summary>The rooms with members on this node.</summary>
    IReadOnlyCollection<string> Rooms { get; }

    /// <summary>How many members the room has on this node.</summary>
    int RoomSize(string room);

    /// <summary>Adds the room's members on this node to <paramref name="members"/>.</summary>
    void AddPresence(string room, string? node, List<PresenceMember> members);

    /// <summary>The Engine.IO transport the member is on now, or null when there is no such member.</summary>
    EngineTransportKind? TransportOf(string id);

    /// <summary>Asks the other nodes of the cluster to disconnect connection <paramref name="id"/>; false when none has it (or there is no cluster).</summary>
    ValueTask<bool> DisconnectElsewhereAsync(string id, string reason, CancellationToken cancellationToken);

    /// <summary>The subscribers of the channel on the other nodes of the cluster (none without a cluster).</summary>
    ValueTask<IReadOnlyList<PresenceMember>> PresenceElsewhereAsync(string channel, CancellationToken cancellationToken);
}
