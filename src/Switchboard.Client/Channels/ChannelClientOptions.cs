using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Switchboard.Client.Channels;

/// <summary>
/// Options of a <see cref="ChannelClient"/>. The defaults are those of the JS channels client
/// (docs/clients-js.md): WebSocket, then SSE, then long-poll; backoff 0.5 s doubling to 30 s with jitter.
/// </summary>
public sealed record ChannelClientOptions
{
    /// <summary>
    /// The transports to try, in order, on every connect and reconnect. Default WebSocket, Server-Sent
    /// Events, long-poll; give one to use only that one.
    /// </summary>
    public IReadOnlyList<ChannelTransport> Transports { get; init; } =
        [ChannelTransport.WebSocket, ChannelTransport.ServerSentEvents, ChannelTransport.LongPoll];

    /// <summary>The plain WebSocket endpoint's path (docs/protocols/websocket.md). Default <c>/ws</c>.</summary>
    public string WebSocketPath { get; init; } = "/ws";

    /// <summary>The Server-Sent Events endpoint's path (docs/protocols/sse.md). Default <c>/sse</c>.</summary>
    public string ServerSentEventsPath { get; init; } = "/sse";

    /// <summary>The long-poll endpoint's path (docs/protocols/longpoll.md). Default <c>/poll</c>.</summary>
    public string LongPollPath { get; init; } = "/poll";

    /// <summary>The HTTP API's prefix, used to publish when no WebSocket is open and <see cref="ApiKey"/> is set. Default <c>/api</c>.</summary>
    public string ApiPath { get; init; } = "/api";

    /// <summary>The token (a JWT with the standalone server) sent with every connection; null for none.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Sends the token as the <c>token</c> query parameter instead of <c>Authorization: Bearer</c>. Default
    /// false (a query string can end up in proxy logs).
    /// </summary>
    public bool TokenInQuery { get; init; }

    /// <summary>
    /// Called for a new token when the current one has expired (a JWT whose <c>exp</c> is past, checked
    /// before each connect) or the server refused it (HTTP 401). Returning null or an empty string gives
    /// up: the client closes with the refusal.
    /// </summary>
    public Func<ChannelTokenRefreshContext, CancellationToken, ValueTask<string?>>? RefreshToken { get; init; }

    /// <summary>An HTTP API key: lets <see cref="ChannelClient.PublishAsync"/> publish over <c>POST {ApiPath}/publish</c> when the transport in use is not the WebSocket. For backends only.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The first reconnection delay; it doubles with each failed attempt. Default 500 ms.</summary>
    public TimeSpan ReconnectionDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest reconnection delay. Default 30 s.</summary>
    public TimeSpan ReconnectionDelayMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a transport may take to be accepted (the WebSocket's welcome, the SSE <c>subscribed</c>
    /// event, the first poll's answer) before the next one is tried. Default 10 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a WebSocket request (subscribe, publish, ping) may wait for its reply. Default 10 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a <c>ping</c> request checks a WebSocket that is otherwise quiet; <see cref="TimeSpan.Zero"/> turns it off. Default 25 s.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>An SSE stream silent for this long (the server writes a comment every 15 s) is reopened. Default 45 s.</summary>
    public TimeSpan ServerSentEventsIdleTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>How long the server may hold a poll (whole seconds, at most the server's maximum). Default 25 s.</summary>
    public TimeSpan LongPollTimeout { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// How many items a subscription holds for a reader that has not taken them yet. When it is full the
    /// client stops reading the connection until the reader catches up (nothing is dropped). Default 10 000.
    /// </summary>
    public int SubscriptionCapacity { get; init; } = 10_000;

    /// <summary>The handler of the SSE, long-poll and HTTP API requests (a proxy, a certificate policy); default a new <see cref="SocketsHttpHandler"/>, owned by the client.</summary>
    public HttpMessageHandler? HttpMessageHandler { get; init; }

    /// <summary>Called on each WebSocket's options before it connects (headers, proxy, certificates).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; init; }

    /// <summary>The clock of reconnection delays, timeouts and token expiry.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The random source of the reconnection jitter.</summary>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>Where the client logs connections, fallbacks, refusals and frames it could not read.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    internal void Validate()
    {
        if (Transports is null || Transports.Count == 0)
        {
            throw new ArgumentException("At least one transport is needed.", nameof(Transports));
        }
        foreach (var transport in Transports)
        {
            if (!Enum.IsDefined(transport))
            {
                throw new ArgumentException($"Unknown transport {transport}.", nameof(Transports));
            }
        }
        Positive(ReconnectionDelay, nameof(ReconnectionDelay));
        Positive(ReconnectionDelayMax, nameof(ReconnectionDelayMax));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(ServerSentEventsIdleTimeout, nameof(ServerSentEventsIdleTimeout));
        if (PingInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PingInterval), PingInterval, "The ping interval cannot be negative.");
        }
        if (LongPollTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(LongPollTimeout), LongPollTimeout, "The long-poll timeout cannot be negative.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(SubscriptionCapacity, 1, nameof(SubscriptionCapacity));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Random, nameof(Random));
        ArgumentNullException.ThrowIfNull(Logger, nameof(Logger));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be more than zero.");
        }
    }
}

/// <summary>A transport of the channel protocols.</summary>
public enum ChannelTransport
{
    /// <summary>The plain WebSocket protocol (docs/protocols/websocket.md): subscribe, publish with acknowledgement, requests.</summary>
    WebSocket,

    /// <summary>Server-Sent Events (docs/protocols/sse.md), read over an HTTP response stream; receive only.</summary>
    ServerSentEvents,

    /// <summary>HTTP long-poll (docs/protocols/longpoll.md); receive only.</summary>
    LongPoll,
}

/// <summary>Where a <see cref="ChannelClient"/> is.</summary>
public enum ChannelClientState
{
    /// <summary>Not started: nothing subscribed, published or connected yet.</summary>
    Idle,

    /// <summary>The first connection is being opened.</summary>
    Connecting,

    /// <summary>A transport is open (<see cref="ChannelClient.Transport"/>).</summary>
    Connected,

    /// <summary>The connection dropped, or no transport worked: waiting the backoff delay, or trying again.</summary>
    Reconnecting,

    /// <summary>Disposed, or closed by an error the client cannot get past (<see cref="ChannelClient.CloseError"/>).</summary>
    Closed,
}

/// <summary>Why <see cref="ChannelClientOptions.RefreshToken"/> is asked for a new token.</summary>
/// <param name="code">
/// <c>token_expired</c> (the JWT's <c>exp</c> has passed, or the server said so), <c>token_invalid</c>,
/// <c>token_missing</c> (the server's 401 codes), or <c>unauthorized</c> (a WebSocket handshake refused with
/// 401, whose body a .NET WebSocket cannot read).
/// </param>
/// <param name="message">The server's message, or the client's.</param>
public sealed class ChannelTokenRefreshContext(string code, string message)
{
    /// <summary>The refusal's code.</summary>
    public string Code { get; } = code;

    /// <summary>What was wrong, for a human.</summary>
    public string Message { get; } = message;
}
