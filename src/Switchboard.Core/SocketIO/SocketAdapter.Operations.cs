using Switchboard.Cluster;

namespace Switchboard.SocketIO;

public partial class SocketAdapter
{
    /// <summary>
    /// Delivers an encoded packet to every targeted socket: the same bytes to each. In a cluster, a
    /// broadcast that is not <see cref="BroadcastFlags.Local"/> also goes, as the same bytes, to the other
    /// nodes with members of its rooms.
    /// </summary>
    public virtual ValueTask BroadcastAsync(EncodedPacket packet, BroadcastOptions options, CancellationToken cancellationToken = default)
    {
        Namespace.Server.Metrics.Delivered(DeliverLocal(packet, options), Namespace.Name);
        if (Namespace.Server.Cluster is { } cluster && !options.IsLocal)
        {
            return cluster.BroadcastAsync(new ClusterBroadcast(Namespace.Name, packet, options), cancellationToken);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Delivers a packet carrying ack id <paramref name="ackId"/> and registers <paramref name="onAck"/> with
    /// each recipient. Returns how many acknowledgements to expect. In a cluster, the other nodes with
    /// members deliver it too and send their recipients' acknowledgements back.
    /// </summary>
    public virtual async ValueTask<int> BroadcastWithAckAsync(EncodedPacket packet, BroadcastOptions options, long ackId, Action<SocketArguments?> onAck, CancellationToken cancellationToken = default)
    {
        var count = 0;
        ForEachTarget(options, socket =>
        {
            socket.RegisterAck(ackId, (response, _) => onAck(response));
            if (Deliver(socket, packet, options, direct: false))
            {
                count++;
            }
        });
        if (Operations(options) is { } operations)
        {
            var body = ClusterWire.Write(w => w.WriteNumber("ack"u8, ackId), options, packet);
            var replies = await operations.AskAsync(Namespace, "emit-ack", options.Rooms, body,
                onOther: reply => onAck(ClusterOperations.ReadArguments(reply.Body)), keepOpen: operations.CloseLater, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var reply in replies)
            {
                count += int.Parse(System.Text.Encoding.ASCII.GetString(reply.Body.Span), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return count;
    }

    /// <summary>The targeted sockets, on this node and (unless <see cref="BroadcastFlags.Local"/>) on the other nodes of the cluster.</summary>
    public virtual async ValueTask<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(BroadcastOptions options, CancellationToken cancellationToken = default)
    {
        var sockets = Snapshot(options).Select(RemoteSocket.Of).ToList();
        if (Operations(options) is { } operations)
        {
            foreach (var reply in await operations.AskAsync(Namespace, "fetch", options.Rooms, ClusterWire.Write(_ => { }, options), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                sockets.AddRange(ClusterOperations.ReadSockets(Namespace, reply.Body));
            }
        }
        return sockets;
    }

    /// <summary>Makes the sockets <paramref name="options"/> target join <paramref name="rooms"/>, on every node.</summary>
    public virtual async ValueTask AddSocketsAsync(BroadcastOptions options, IReadOnlyCollection<string> rooms, CancellationToken cancellationToken = default)
    {
        foreach (var socket in Snapshot(options))
        {
            // A socket at its room limit keeps its rooms; the others still join.
            foreach (var room in rooms)
            {
                socket.TryJoin(room);
            }
        }
        if (Operations(options) is { } operations)
        {
            await operations.AskAsync(Namespace, "join", options.Rooms, ClusterWire.Write(w => ClusterWire.WriteStrings(w, "to"u8, rooms), options), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Makes the sockets <paramref name="options"/> target leave <paramref name="rooms"/>, on every node.</summary>
    public virtual async ValueTask DelSocketsAsync(BroadcastOptions options, IReadOnlyCollection<string> rooms, CancellationToken cancellationToken = default)
    {
        foreach (var socket in Snapshot(options))
        {
            foreach (var room in rooms)
            {
                socket.Leave(room);
            }
        }
        if (Operations(options) is { } operations)
        {
            await operations.AskAsync(Namespace, "leave", options.Rooms, ClusterWire.Write(w => ClusterWire.WriteStrings(w, "to"u8, rooms), options), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Disconnects the sockets <paramref name="options"/> targets, on every node; with <paramref name="close"/>, their whole connection.</summary>
    public virtual async ValueTask DisconnectSocketsAsync(BroadcastOptions options, bool close, CancellationToken cancellationToken = default)
    {
        foreach (var socket in Snapshot(options))
        {
            socket.Disconnect(close);
        }
        if (Operations(options) is { } operations)
        {
            await operations.AskAsync(Namespace, "disconnect", options.Rooms, ClusterWire.Write(w => w.WriteBoolean("close"u8, close), options), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The cluster's operations when an operation must reach the other nodes too.</summary>
    private ClusterOperations? Operations(BroadcastOptions options) => options.IsLocal ? null : Namespace.Server.ClusterOperations;
}
