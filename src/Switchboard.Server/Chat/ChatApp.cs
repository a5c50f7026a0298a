using Switchboard.SocketIO;

namespace Switchboard.Server.Chat;

/// <summary>
/// The demo chat: nicknamed users in named rooms, on one Socket.IO namespace. What goes over the
/// wire (arguments in order; every acknowledgement is either the success payload or
/// <c>{ error: { code, message } }</c>):
/// <list type="bullet">
/// <item>client → <c>join</c>(room, nickname, ack): leaves the previous room, joins this one;
/// ack <c>{ room, nickname }</c>; the room gets <c>user joined</c> <c>{ nickname, room }</c>.</item>
/// <item>client → <c>chat message</c>(text, ack): ack <c>{ id, ts }</c> (ts in Unix milliseconds); the
/// rest of the room gets <c>chat message</c> <c>{ id, ts, nickname, text }</c>.</item>
/// <item>client → <c>typing</c>() / <c>stop typing</c>(): the rest of the room gets the same event
/// with <c>{ nickname }</c>.</item>
/// <item>a member disconnects or changes room: the room it left gets <c>user left</c> <c>{ nickname, room }</c>.</item>
/// </list>
/// Room <c>r</c> is the channel <c>chat.r</c> (a room is a channel, readable over every protocol): joining
/// needs the client's grant to subscribe to it, speaking, typing and being announced to publish on it; a refusal is
/// <c>{ error: { code: "forbidden", message } }</c>.
/// </summary>
internal sealed class ChatApp(TimeProvider time, ILogger<ChatApp> logger)
{
    internal ILogger Logger => logger;

    /// <summary>The channel of a chat room: the default anonymous grant publishes on <c>chat.*</c>.</summary>
    internal static string Channel(string room) => "chat." + room;

    /// <summary>Serves the chat on <paramref name="nsp"/>.</summary>
    public void Attach(Namespace nsp) => nsp.OnConnection(socket => _ = new ChatMember(this, socket));

    internal ChatMessage NewMessage(string nickname, string text)
    {
        var now = time.GetUtcNow();
        return new ChatMessage(Guid.CreateVersion7(now).ToString("N"), now.ToUnixTimeMilliseconds(), nickname, text);
    }

    /// <summary>Lets a broadcast started outside any handler finish on its own; a failure is logged.</summary>
    internal void Observe(ValueTask broadcast, string eventName)
    {
        if (!broadcast.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(broadcast, eventName);
        }
    }

    private async Task ObserveAsync(ValueTask broadcast, string eventName)
    {
        try
        {
            await broadcast.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.BroadcastFailed(eventName, ex);
        }
    }
}
