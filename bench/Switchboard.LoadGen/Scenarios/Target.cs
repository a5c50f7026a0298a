using Switchboard.LoadGen.Clients;
using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>The server under test: where to connect, with which protocol, and how to watch it.</summary>
internal sealed record Target(
    string Name,
    ClientProtocol Protocol,
    Uri BaseUri,
    int? Pid,
    /// <summary>SSE subscription URL with <c>{room}</c>, or null while the server has no SSE endpoint.</summary>
    string? SseTemplate,
    /// <summary>Why S7 cannot run here, when <see cref="SseTemplate"/> is null.</summary>
    string? SseUnavailable,
    bool HasDebugStats,
    WireKind Wire)
{
    /// <summary>Why S8-poll cannot run here (the server has no Engine.IO long-polling the generator speaks), or null.</summary>
    public string? PollingUnavailable { get; init; }

    /// <summary>Channel long-poll URL with <c>{room}</c> (S8-longpoll), or null.</summary>
    public string? LongPollTemplate { get; init; }

    /// <summary>Other processes whose CPU counts as the server's (S6: the second node and Redis).</summary>
    public IReadOnlyList<int> ExtraPids { get; init; } = [];

    public Uri ClientUri => new(BaseUri, Protocol == ClientProtocol.SignalR ? SignalRClient.Path : SocketIOClient.Path);

    public Uri PollingUri => new(BaseUri, SocketIOClient.PollingPath);

    public Uri LongPollUri(string room) => new(LongPollTemplate!.Replace("{room}", Uri.EscapeDataString(room), StringComparison.Ordinal));

    public Uri SseUri(string room) => new(SseTemplate!.Replace("{room}", Uri.EscapeDataString(room), StringComparison.Ordinal));

    public Uri? DebugStatsUri => HasDebugStats ? BaseUri : null;
}
