using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Switchboard.Server.Chat;

/// <summary>What the chat accepts from clients.</summary>
internal static partial class ChatInput
{
    public const int MaxNicknameLength = 24;
    public const int MaxTextLength = 500;

    /// <summary>Lower-case letters, digits, '-' and '_', 1 to 32 of them, starting with a letter or digit.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex RoomName();

    public static bool TryRoom(string? value, [NotNullWhen(true)] out string? room, [NotNullWhen(false)] out ChatError? error)
    {
        room = value;
        error = value is not null && RoomName().IsMatch(value) ? null : ChatError.InvalidRoom;
        return error is null;
    }

    /// <summary>Trimmed, 1 to <see cref="MaxNicknameLength"/> characters, no control characters.</summary>
    public static bool TryNickname(string? value, [NotNullWhen(true)] out string? nickname, [NotNullWhen(false)] out ChatError? error)
    {
        nickname = value?.Trim();
        error = nickname is { Length: > 0 and <= MaxNicknameLength } && !nickname.Any(char.IsControl)
            ? null
            : ChatError.InvalidNickname;
        return error is null;
    }

    /// <summary>Not blank, at most <see cref="MaxTextLength"/> UTF-16 code units.</summary>
    public static bool TryText(string? value, [NotNullWhen(true)] out string? text, [NotNullWhen(false)] out ChatError? error)
    {
        text = value;
        error = string.IsNullOrWhiteSpace(value) ? ChatError.EmptyText
            : value.Length > MaxTextLength ? ChatError.TextTooLong
            : null;
        return error is null;
    }
}
