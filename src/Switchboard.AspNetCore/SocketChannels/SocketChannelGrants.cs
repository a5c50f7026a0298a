using Switchboard.AspNetCore.Shared;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.SocketChannels;

/// <summary>
/// The checks a handler makes before it puts a client in a room or writes into one on its behalf. A
/// room is a channel: a join made by a handler (<c>socket.Join(room)</c>) is the server's decision and
/// is not checked against the client's grant, so a handler that joins on a client's request must ask
/// here first (docs/auth.md, "Joins made by handlers").
/// </summary>
public static class SocketChannelGrants
{
    /// <summary>
    /// Whether the socket's grant lets it read <paramref name="channel"/> (a room). False when the socket
    /// has no grant (channel events are not in use on its namespace), when the name breaks the channel-name
    /// rule, or when the name is a socket's private room.
    /// </summary>
    public static bool CanSubscribe(this Socket socket, string channel) => CheckSubscribe(socket, channel) is null;

    /// <summary>Whether the socket's grant lets it write into <paramref name="channel"/> (a room); false as for <see cref="CanSubscribe"/>.</summary>
    public static bool CanPublish(this Socket socket, string channel) => Check(socket, channel, publish: true) is null;

    /// <summary>Null when the socket may read <paramref name="channel"/>; otherwise why not (<c>bad_request</c> or <c>forbidden</c>).</summary>
    public static SocketChannelError? CheckSubscribe(this Socket socket, string channel) => Check(socket, channel, publish: false);

    /// <summary>Null when the socket may write into <paramref name="channel"/>; otherwise why not (<c>bad_request</c> or <c>forbidden</c>).</summary>
    public static SocketChannelError? CheckPublish(this Socket socket, string channel) => Check(socket, channel, publish: true);

    /// <summary>
    /// Joins the room when the socket's grant allows reading it, and returns null; otherwise joins nothing
    /// and returns the refusal, with the codes of the channel events (<c>bad_request</c>, <c>forbidden</c>).
    /// </summary>
    public static async ValueTask<SocketChannelError?> JoinAuthorizedAsync(this Socket socket, string room, CancellationToken cancellationToken = default)
    {
        if (CheckSubscribe(socket, room) is { } refusal)
        {
            return refusal;
        }
        await socket.JoinAsync(room, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private static SocketChannelError? Check(Socket socket, string channel, bool publish)
    {
        if (ChannelNames.Problem(channel, "channel") is { } problem)
        {
            return SocketChannelError.BadRequest(problem + ".");
        }
        var grant = socket.GetChannelGrant();
        if (grant is null)
        {
            return new SocketChannelError(SocketChannelError.Forbidden, "The socket has no channel grant (channel events are not in use on its namespace).");
        }
        if (publish ? !grant.CanPublish(channel) : !grant.CanSubscribe(channel))
        {
            return new SocketChannelError(SocketChannelError.Forbidden, publish ? $"Not allowed to publish on '{channel}'." : $"Not allowed to subscribe to '{channel}'.");
        }
        if (socket.Namespace.Sockets.ContainsKey(channel))
        {
            return new SocketChannelError(SocketChannelError.Forbidden, $"'{channel}' is a socket's private room.");
        }
        return null;
    }
}
