namespace Switchboard.LoadGen.Wire;

/// <summary>What a wire hands up: whole text messages (WebSocket messages, SSE event data) and its end.</summary>
internal interface IMessageHandler
{
    void OnText(ReadOnlySpan<byte> message);

    void OnClosed(string? error);
}

/// <summary>A connection that carries text messages: a WebSocket (two implementations) or an SSE stream.</summary>
internal abstract class WireConnection
{
    public IMessageHandler Handler { get; set; } = null!;

    /// <summary>Connects and completes the HTTP part (upgrade or response head).</summary>
    public abstract Task ConnectAsync(Uri uri, CancellationToken cancellation);

    /// <summary>Sends one text message; safe from any thread. Returns false if the connection is gone.</summary>
    public abstract bool SendText(ReadOnlySpan<byte> utf8);

    public abstract void Close();
}

internal enum WireKind
{
    /// <summary>A raw socket with the generator's own minimal RFC 6455 client framing.</summary>
    Raw,

    /// <summary>System.Net.WebSockets.ClientWebSocket.</summary>
    ClientWebSocket,
}
