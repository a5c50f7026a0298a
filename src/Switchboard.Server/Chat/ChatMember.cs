using Switchboard.AspNetCore.SocketChannels;
using Switchboard.SocketIO;

namespace Switchboard.Server.Chat;

/// <summary>One connected socket's part in the chat: its nickname and room, and its event handlers.</summary>
internal sealed class ChatMember
{
    private readonly ChatApp _app;
    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private string? _room;
    private string _nickname = "";

    public ChatMember(ChatApp app, Socket socket)
    {
        _app = app;
        _socket = socket;
        socket
            .On(ChatEvents.Join, JoinAsync)
            .On(ChatEvents.Message, SayAsync)
            .On(ChatEvents.Typing, _ => RelayAsync(ChatEvents.Typing))
            .On(ChatEvents.StopTyping, _ => RelayAsync(ChatEvents.StopTyping));
        socket.Disconnected += (_, _) => OnDisconnected();
        // Behind a proxy, what the forwarded headers made of the handshake (docs/proxies.md).
        app.Logger.Connected(socket.Id, socket.Handshake.Address?.ToString(), socket.Handshake.Secure);
    }

    private (string? Room, string Nickname) Current()
    {
        lock (_gate)
        {
            return (_room, _nickname);
        }
    }

    private async ValueTask JoinAsync(SocketEvent e)
    {
        if (!ChatInput.TryRoom(e.Args.GetOrDefault<string>(0), out var room, out var error)
            || !ChatInput.TryNickname(e.Args.GetOrDefault<string>(1), out var nickname, out error))
        {
            Reject(e, error);
            return;
        }
        // A room is a channel, and a join made here is the server's decision: the client's grant is
        // asked first, so the chat never lets a client read a channel its token does not allow.
        var channel = ChatApp.Channel(room);
        if (_socket.CheckSubscribe(channel) is { } refusal)
        {
            Forbid(e, channel, refusal.Message);
            return;
        }
        string? previousRoom;
        string previousNickname;
        lock (_gate)
        {
            (previousRoom, previousNickname) = (_room, _nickname);
            (_room, _nickname) = (room, nickname);
        }
        var leftRoom = previousRoom != room && previousRoom is not null ? ChatApp.Channel(previousRoom) : null;
        // Rooms change before the first await: a socket that disconnects during an await has already
        // left all its rooms, and joining one after that would keep it there.
        if (leftRoom is not null)
        {
            _socket.Leave(leftRoom);
        }
        // Joins at once (before the await); in a cluster, the acknowledgement waits until the room's
        // messages from every node reach this node.
        await _socket.JoinAsync(channel).ConfigureAwait(false);
        _app.Logger.Joined(_socket.Id, room, nickname);
        e.Ack(new JoinAccepted(room, nickname));
        // The presence notices are publications on the room's channel too: a member that may only read
        // comes and goes silently.
        if (leftRoom is not null && _socket.CanPublish(leftRoom))
        {
            await _socket.To(leftRoom).EmitAsync(ChatEvents.UserLeft, new ChatPresence(previousNickname, previousRoom!));
        }
        if ((previousRoom != room || previousNickname != nickname) && _socket.CanPublish(channel))
        {
            await _socket.To(channel).EmitAsync(ChatEvents.UserJoined, new ChatPresence(nickname, room));
        }
    }

    private async ValueTask SayAsync(SocketEvent e)
    {
        var (room, nickname) = Current();
        if (room is null)
        {
            Reject(e, ChatError.NotJoined);
            return;
        }
        if (!ChatInput.TryText(e.Args.GetOrDefault<string>(0), out var text, out var error))
        {
            Reject(e, error);
            return;
        }
        var channel = ChatApp.Channel(room);
        if (_socket.CheckPublish(channel) is { } refusal)
        {
            Forbid(e, channel, refusal.Message);
            return;
        }
        var message = _app.NewMessage(nickname, text);
        // The sender shows its own message at once and marks it delivered on this ack, so it is
        // left out of the broadcast.
        e.Ack(new MessageAccepted(message.Id, message.Ts));
        await _socket.To(channel).EmitAsync(ChatEvents.Message, message);
    }

    private ValueTask RelayAsync(string eventName)
    {
        var (room, nickname) = Current();
        // Not Volatile: over long-polling that drops the notice whenever no poll is waiting, and a
        // lost "stop typing" leaves the indicator up.
        // A typing notice is written into the room's channel too: without the publish grant it is dropped.
        return room is null || !_socket.CanPublish(ChatApp.Channel(room))
            ? ValueTask.CompletedTask
            : _socket.To(ChatApp.Channel(room)).EmitAsync(eventName, new ChatTyping(nickname));
    }

    private void OnDisconnected()
    {
        var (room, nickname) = Current();
        if (room is not null && _socket.CanPublish(ChatApp.Channel(room)))
        {
            _app.Observe(_socket.Namespace.To(ChatApp.Channel(room)).EmitAsync(ChatEvents.UserLeft, new ChatPresence(nickname, room)), ChatEvents.UserLeft);
        }
    }

    private void Forbid(SocketEvent e, string channel, string message)
    {
        if (_socket.Namespace.Server.Engine.Refusals.ShouldLog(_app.Logger, "chat forbidden"))
        {
            _app.Logger.Forbidden(_socket.Id, e.Name, channel);
        }
        e.Ack(new ChatFailure(new ChatError(ChatError.ForbiddenCode, message)));
    }

    private void Reject(SocketEvent e, ChatError error)
    {
        _app.Logger.Rejected(_socket.Id, e.Name, error.Code);
        e.Ack(new ChatFailure(error));
    }
}
