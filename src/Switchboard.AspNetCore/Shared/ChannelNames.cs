using Microsoft.Extensions.Primitives;

namespace Switchboard.AspNetCore.Shared;

/// <summary>
/// What every protocol accepts as a channel name (Socket.IO channel events, SSE, long-poll, the plain
/// WebSocket protocol, the HTTP API), an event name, or another short identifier: the one rule, each
/// protocol answering a breach with its own error.
/// </summary>
internal static class ChannelNames
{
    /// <summary>The longest channel name, event name, connection id or idempotency key accepted.</summary>
    public const int MaxLength = 200;

    /// <summary>Null when <paramref name="value"/> is a valid name: non-empty, at most 200 characters, no control characters.</summary>
    public static string? Problem(string? value, string what)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{what} must not be empty";
        }
        if (value.Length > MaxLength)
        {
            return $"{what} is longer than {MaxLength} characters";
        }
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return $"{what} must not contain control characters";
            }
        }
        return null;
    }

    /// <summary>
    /// Validates the channel list of a subscription (the repeated <c>channel</c> query parameter): 1 to
    /// <paramref name="max"/> distinct valid names.
    /// </summary>
    public static RequestProblem? CheckList(IReadOnlyList<string?> channels, int max)
    {
        if (channels.Count == 0)
        {
            return new(400, "channel_missing", "at least one channel is required");
        }
        if (channels.Count > max)
        {
            return new(400, "too_many_channels", $"at most {max} channels per request, got {channels.Count}");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var channel in channels)
        {
            if (Problem(channel, "a channel name") is { } problem)
            {
                return new(400, "invalid_channel", problem);
            }
            if (!seen.Add(channel!))
            {
                return new(400, "duplicate_channel", $"channel '{channel}' is listed twice");
            }
        }
        return null;
    }

    public static string[] FromQuery(StringValues values)
    {
        // A loop, not LINQ: every long-poll request comes through here.
        var channels = new string[values.Count];
        for (var i = 0; i < channels.Length; i++)
        {
            channels[i] = values[i] ?? "";
        }
        return channels;
    }
}
