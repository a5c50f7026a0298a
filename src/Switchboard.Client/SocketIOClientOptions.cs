using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Switchboard.Client;

/// <summary>
/// Options of a <see cref="SocketIOClient"/>. Defaults are socket.io-client 4.x's (reconnection on, delay
/// 1 s doubling to 5 s, randomization 0.5, unlimited attempts, connect timeout 20 s).
/// </summary>
public sealed record SocketIOClientOptions
{
    /// <summary>The Engine.IO endpoint path on the server. Default <c>/socket.io</c>.</summary>
    public string Path { get; init; } = "/socket.io";

    /// <summary>
    /// The first transport. Default <see cref="ClientTransport.WebSocket"/> (socket.io-client with
    /// <c>transports: ["websocket"]</c>); <see cref="ClientTransport.Polling"/> starts with HTTP long-polling,
    /// as socket.io-client's default, for networks that refuse WebSockets.
    /// </summary>
    public ClientTransport Transport { get; init; } = ClientTransport.WebSocket;

    /// <summary>Whether a polling connection moves to WebSocket when the server offers it. Default true.</summary>
    public bool Upgrade { get; init; } = true;

    /// <summary>Extra query parameters of the handshake request.</summary>
    public IReadOnlyDictionary<string, string>? Query { get; init; }

    /// <summary>Extra HTTP headers of the WebSocket upgrade request (e.g. <c>Authorization</c>, cookies).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Whether a lost connection is re-established by itself. Default true.</summary>
    public bool Reconnection { get; init; } = true;

    /// <summary>How many reconnection attempts before giving up. Default unlimited.</summary>
    public int ReconnectionAttempts { get; init; } = int.MaxValue;

    /// <summary>The first reconnection delay; each further attempt doubles it. Default 1 s.</summary>
    public TimeSpan ReconnectionDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnection delay. Default 5 s.</summary>
    public TimeSpan ReconnectionDelayMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Jitter: each delay moves up or down by a random part of itself up to this factor (0 to 1). Default 0.5.
    /// </summary>
    public double RandomizationFactor { get; init; } = 0.5;

    /// <summary>How long opening a connection (the WebSocket and the Engine.IO handshake) may take. Default 20 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How many packets a socket keeps while it is not connected (emits sent on (re)connection). An emit
    /// past it throws <see cref="OfflineBufferFullException"/>. Default 1000; 0 refuses every emit while disconnected.
    /// </summary>
    public int OfflineBufferLimit { get; init; } = 1000;

    /// <summary>The largest message the server may send, in bytes; a larger one closes the connection as a parse error. Default 100 MB (socket.io's maxHttpBufferSize is 1 MB).</summary>
    public int MaxMessageBytes { get; init; } = 100 << 20;

    /// <summary>The clock for heartbeats, ack timeouts and reconnection delays.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The random source of the reconnection jitter.</summary>
    public Random Random { get; init; } = Random.Shared;

    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>
    /// How many events <see cref="ClientSocket.ReadEventsAsync"/> holds for a slow reader before it drops the oldest. Default 10 000.
    /// </summary>
    public int EventStreamCapacity { get; init; } = 10_000;
}

/// <summary>An Engine.IO transport.</summary>
public enum ClientTransport
{
    WebSocket,

    /// <summary>HTTP long-polling.</summary>
    Polling,
}
