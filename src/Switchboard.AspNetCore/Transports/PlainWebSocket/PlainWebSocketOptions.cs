using Switchboard.AspNetCore.Shared;
namespace Switchboard.AspNetCore.Transports.PlainWebSocket;

/// <summary>Limits and heartbeat of one plain WebSocket endpoint (<c>MapChannelWebSocket</c>).</summary>
public sealed class PlainWebSocketOptions
{
    /// <summary>The largest message a client may send, in bytes; a larger one closes the connection (1009). Default 64 KiB.</summary>
    public int MaxMessageSize { get; set; } = 64 * 1024;

    /// <summary>How many channels one connection may be subscribed to at once. Default 128.</summary>
    public int MaxSubscriptions { get; set; } = 128;

    /// <summary>
    /// The longest channel name accepted, in characters: at most, and by default, the limit of every
    /// protocol (200, <c>ChannelNames.MaxLength</c>); set it lower to be stricter on this endpoint.
    /// </summary>
    public int MaxChannelLength { get; set; } = ChannelNames.MaxLength;

    /// <summary>The most publications one <c>history</c> reply holds (and the default <c>limit</c>). Default 100.</summary>
    public int MaxHistoryLimit { get; set; } = 100;

    /// <summary>Sustained publishes per second per connection (token bucket refill); 0 turns the limit off. Default 50.</summary>
    public double PublishesPerSecond { get; set; } = 50;

    /// <summary>Publishes a connection may make in a burst (token bucket size). Default 100.</summary>
    public int PublishBurst { get; set; } = 100;

    /// <summary>Invalid frames a connection may send in a burst before it is closed (1008). Default 10.</summary>
    public int InvalidFrameBurst { get; set; } = 10;

    /// <summary>Invalid frames per second forgiven after a burst. Default 1.</summary>
    public double InvalidFramesPerSecond { get; set; } = 1;

    /// <summary>Messages that may wait for a slow client before it is disconnected (<c>slow_consumer</c>). Default 10 000.</summary>
    public int MaxQueued { get; set; } = 10_000;

    /// <summary>
    /// The outbound byte budget of one connection; null (the default) takes the namespace's
    /// <c>Channels.MaxQueuedBytes</c> (4 MiB). Past it, the channel's slow-consumer policy applies.
    /// </summary>
    public long? MaxQueuedBytes { get; set; }

    /// <summary>
    /// How long one send may take before the connection is given up as a slow consumer; null (the
    /// default) takes the namespace's <c>Channels.SendTimeout</c> (10 s).
    /// </summary>
    public TimeSpan? SendTimeout { get; set; }

    /// <summary>How often the server sends a WebSocket Ping frame; <see cref="TimeSpan.Zero"/> turns the heartbeat off. Default 25 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>How long the server waits for the Pong before it drops the connection. Default 20 s.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// WebSocket compression (permessage-deflate) on this endpoint, negotiated when the client offers it
    /// and <see cref="Engine.PerMessageDeflateOptions.Enabled"/> is set; messages under its threshold go
    /// uncompressed. Off by default, as for Engine.IO (docs/engine.md).
    /// </summary>
    public Engine.PerMessageDeflateOptions PerMessageDeflate { get; } = new();

    internal void Validate()
    {
        PerMessageDeflate.Validate(nameof(PerMessageDeflate));
        Positive(MaxMessageSize, nameof(MaxMessageSize));
        Positive(MaxSubscriptions, nameof(MaxSubscriptions));
        Positive(MaxChannelLength, nameof(MaxChannelLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxChannelLength, ChannelNames.MaxLength, nameof(MaxChannelLength));
        Positive(MaxHistoryLimit, nameof(MaxHistoryLimit));
        Positive(PublishBurst, nameof(PublishBurst));
        Positive(InvalidFrameBurst, nameof(InvalidFrameBurst));
        Positive(MaxQueued, nameof(MaxQueued));
        if (MaxQueuedBytes is { } bytes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1, nameof(MaxQueuedBytes));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(PublishesPerSecond, nameof(PublishesPerSecond));
        ArgumentOutOfRangeException.ThrowIfNegative(InvalidFramesPerSecond, nameof(InvalidFramesPerSecond));
        if (SendTimeout is { } sendTimeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(sendTimeout, TimeSpan.Zero, nameof(SendTimeout));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepAliveInterval, TimeSpan.Zero, nameof(KeepAliveInterval));
        if (KeepAliveInterval > TimeSpan.Zero)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAliveTimeout, TimeSpan.Zero, nameof(KeepAliveTimeout));
        }
    }

    private static void Positive(int value, string name) => ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, name);
}
