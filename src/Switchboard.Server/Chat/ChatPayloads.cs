namespace Switchboard.Server.Chat;

// The chat's event names and payloads; ChatApp describes when each is sent. Payloads serialize with
// camelCase names.

internal static class ChatEvents
{
    public const string Join = "join";
    public const string Message = "chat message";
    public const string Typing = "typing";
    public const string StopTyping = "stop typing";
    public const string UserJoined = "user joined";
    public const string UserLeft = "user left";
}

internal sealed record ChatMessage(string Id, long Ts, string Nickname, string Text);

internal sealed record MessageAccepted(string Id, long Ts);

internal sealed record JoinAccepted(string Room, string Nickname);

internal sealed record ChatPresence(string Nickname, string Room);

internal sealed record ChatTyping(string Nickname);

internal sealed record ChatFailure(ChatError Error);

internal sealed record ChatError(string Code, string Message)
{
    public static readonly ChatError InvalidRoom =
        new("invalid_room", "A room name is 1 to 32 lower-case letters, digits, '-' or '_', starting with a letter or digit.");

    public static readonly ChatError InvalidNickname =
        new("invalid_nickname", $"A nickname is 1 to {ChatInput.MaxNicknameLength} characters, without control characters.");

    public static readonly ChatError EmptyText = new("empty_text", "A message needs some text.");

    public static readonly ChatError TextTooLong =
        new("text_too_long", $"A message is at most {ChatInput.MaxTextLength} characters.");

    public static readonly ChatError NotJoined = new("not_joined", "Join a room first.");

    /// <summary>The client's grant does not cover the room's channel (<c>chat.&lt;room&gt;</c>): subscribe to join, publish to speak.</summary>
    public const string ForbiddenCode = "forbidden";
}
