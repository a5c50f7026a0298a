using Switchboard.LoadGen.Clients;

namespace Switchboard.LoadGen.Suite;

/// <summary>A server the suite can start: how to run it, which protocol it speaks, and where its SSE endpoint is.</summary>
internal sealed record ServerSpec(
    string Key,
    string Display,
    ClientProtocol Protocol,
    bool HasDebugStats,
    Func<BenchPaths, int, (string File, string[] Args)> Command,
    string? SsePath,
    string? SseUnavailable,
    Func<BenchPaths, string?> Missing)
{
    /// <summary>Why S8-poll cannot run on this server (no Engine.IO long-polling the generator speaks), or null.</summary>
    public string? PollingUnavailable { get; init; }

    /// <summary>The channel long-poll's path with <c>{room}</c> (S8-longpoll), or null: Switchboard's own protocol.</summary>
    public string? LongPollPath { get; init; }

    public static IReadOnlyList<ServerSpec> Known { get; } =
    [
        new("switchboard", "Switchboard", ClientProtocol.SocketIO, HasDebugStats: true,
            (p, port) => ("dotnet", [p.Dll("Switchboard.BenchServer", "Switchboard.BenchServer"), port.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
            SsePath: "/sse?channel={room}", SseUnavailable: null,
            p => p.MissingDll("Switchboard.BenchServer", "Switchboard.BenchServer"))
        {
            LongPollPath = "/poll?channel={room}",
        },
        // The same server with its WebSocket handshakes on Kestrel's path instead of the direct mode (its default, as
        // the standalone server's; docs/decisions/0015-own-the-connection.md): not in the default lineup; name it in
        // --servers to compare the two in one run. "switchboard-direct" names the default explicitly.
        new("switchboard-kestrel", "Switchboard on Kestrel's path", ClientProtocol.SocketIO, HasDebugStats: true,
            (p, port) => ("dotnet", [p.Dll("Switchboard.BenchServer", "Switchboard.BenchServer"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Switchboard:DirectWebSockets=false"]),
            SsePath: "/sse?channel={room}", SseUnavailable: null,
            p => p.MissingDll("Switchboard.BenchServer", "Switchboard.BenchServer"))
        {
            LongPollPath = "/poll?channel={room}",
        },
        new("switchboard-direct", "Switchboard direct", ClientProtocol.SocketIO, HasDebugStats: true,
            (p, port) => ("dotnet", [p.Dll("Switchboard.BenchServer", "Switchboard.BenchServer"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Switchboard:DirectWebSockets=true"]),
            SsePath: "/sse?channel={room}", SseUnavailable: null,
            p => p.MissingDll("Switchboard.BenchServer", "Switchboard.BenchServer"))
        {
            LongPollPath = "/poll?channel={room}",
        },
        new("socketio", "socket.io 4.8", ClientProtocol.SocketIO, HasDebugStats: false,
            (p, port) => ("node", [Path.Combine(p.Bench, "peers", "socketio", "server.js"), port.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
            SsePath: null, SseUnavailable: "not applicable: socket.io has no SSE transport",
            p => Directory.Exists(Path.Combine(p.Bench, "peers", "socketio", "node_modules", "socket.io")) ? null : "run `npm ci` in bench/peers/socketio"),
        new("signalr", "SignalR (.NET 10)", ClientProtocol.SignalR, HasDebugStats: true,
            (p, port) => ("dotnet", [p.Dll(Path.Combine("peers", "SignalRPeer"), "SignalRPeer"), port.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
            SsePath: null, SseUnavailable: "not measured: SignalR's SSE transport needs negotiate + POST sends, which the generator does not speak",
            p => p.MissingDll(Path.Combine("peers", "SignalRPeer"), "SignalRPeer"))
        {
            PollingUnavailable = "not measured: SignalR's long polling needs negotiate, which the generator does not speak",
        },
        new("ceiling", "ceiling", ClientProtocol.SocketIO, HasDebugStats: false,
            (p, port) => ("dotnet", [p.Dll("CeilingServer", "CeilingServer"), port.ToString(System.Globalization.CultureInfo.InvariantCulture)]),
            SsePath: "/sse?room={room}", SseUnavailable: null,
            p => p.MissingDll("CeilingServer", "CeilingServer"))
        {
            PollingUnavailable = "not applicable: the ceiling speaks WebSocket and SSE only",
        },
        new("ceiling-corked", "corked ceiling", ClientProtocol.SocketIO, HasDebugStats: false,
            (p, port) => ("dotnet", [p.Dll("CeilingServer", "CeilingServer"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--corked"]),
            SsePath: "/sse?room={room}", SseUnavailable: null,
            p => p.MissingDll("CeilingServer", "CeilingServer"))
        {
            PollingUnavailable = "not applicable: the ceiling speaks WebSocket and SSE only",
        },
    ];

    public static ServerSpec Find(string key) =>
        Known.FirstOrDefault(s => s.Key.Equals(key, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown server '{key}' (known: {string.Join(", ", Known.Select(k => k.Key))})");
}

/// <summary>Where the bench's projects and their build outputs are.</summary>
internal sealed record BenchPaths(string Root, string Configuration)
{
    public string Bench => Path.Combine(Root, "bench");

    public string Dll(string project, string assembly) =>
        Path.Combine(Bench, project, "bin", Configuration, "net10.0", assembly + ".dll");

    public string? MissingDll(string project, string assembly) =>
        File.Exists(Dll(project, assembly)) ? null : $"{Dll(project, assembly)} not built (dotnet build -c {Configuration})";

    /// <summary>The repository root: the nearest folder above the generator holding bench/ and Switchboard.slnx.</summary>
    public static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx")) && Directory.Exists(Path.Combine(dir.FullName, "bench")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
