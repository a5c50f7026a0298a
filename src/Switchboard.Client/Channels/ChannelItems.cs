using System.Text.Json;

namespace Switchboard.Client.Channels;

/// <summary>
/// A place in a channel's stream: the offset of the last publication seen, in the channel's epoch (offset 0:
/// before the first). A position of another epoch than the channel's current one cannot be continued.
/// </summary>
/// <param name="Offset">The offset, from 1 within an epoch; 0 before the first publication.</param>
/// <param name="Epoch">The channel's epoch.</param>
public readonly record struct ChannelPosition(long Offset, string Epoch);

/// <summary>What a <see cref="ChannelSubscription"/> yields: a <see cref="ChannelPublication"/> or a <see cref="ChannelDiscontinuity"/>.</summary>
public abstract class ChannelItem
{
    private protected ChannelItem(string channel, ChannelPosition position)
    {
        Channel = channel;
        Position = position;
    }

    /// <summary>The channel.</summary>
    public string Channel { get; }

    /// <summary>The channel's position after this item: where to resume from.</summary>
    public ChannelPosition Position { get; }
}

/// <summary>A publication in a subscribed channel, delivered once, in offset order.</summary>
public sealed class ChannelPublication : ChannelItem
{
    /// <summary>Creates a publication (the client makes them; public for tests of application code).</summary>
    public ChannelPublication(string channel, ChannelPosition position, string eventName, JsonElement data)
        : base(channel, position)
    {
        Event = eventName;
        Data = data;
    }

    /// <summary>The event name the publisher gave (<c>message</c> by default).</summary>
    public string Event { get; }

    /// <summary>The publication's JSON value, as published.</summary>
    public JsonElement Data { get; }

    /// <summary>The data deserialized as <typeparamref name="T"/> (web defaults: camelCase, case-insensitive).</summary>
    public T? GetData<T>(JsonSerializerOptions? options = null) => Data.Deserialize<T>(options ?? JsonSerializerOptions.Web);

    /// <inheritdoc/>
    public override string ToString() => $"{Channel}@{Position.Offset}.{Position.Epoch} {Event}: {Data.GetRawText()}";
}

/// <summary>
/// The server could not continue a channel from the position the client resumed from (the history was
/// trimmed past it, or the channel's epoch changed, e.g. an in-memory server restarted). The publications
/// in between are lost to this client: rebuild the channel's state another way (the HTTP API's history, a
/// reload). Live publications follow from <see cref="ChannelItem.Position"/>.
/// </summary>
public sealed class ChannelDiscontinuity : ChannelItem
{
    /// <summary>Creates a discontinuity (the client makes them; public for tests of application code).</summary>
    public ChannelDiscontinuity(string channel, ChannelPosition position, ChannelPosition? requested)
        : base(channel, position)
    {
        Requested = requested;
    }

    /// <summary>The position the client asked to resume from, when it had one.</summary>
    public ChannelPosition? Requested { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Channel}: discontinuity, resumed at {Position.Offset}.{Position.Epoch}";
}

/// <summary>Where a publication landed: its offset in the channel, and the channel's epoch.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Offset">The publication's offset.</param>
/// <param name="Epoch">The channel's epoch.</param>
public readonly record struct ChannelPublishResult(string Channel, long Offset, string Epoch);

/// <summary>A connected transport dropped (<see cref="ChannelClient.Disconnected"/>).</summary>
/// <param name="Transport">The transport that dropped.</param>
/// <param name="Code">
/// The server's close code (<c>shutdown</c>, <c>slow_consumer</c>, <c>disconnected</c>, ... from
/// docs/disconnect-reasons.md), or the client's: <c>connection_lost</c>, <c>ping_timeout</c>, <c>idle_timeout</c>, <c>bad_response</c>.
/// </param>
/// <param name="Reason">A description, when there is one.</param>
/// <param name="WillReconnect">Whether the client reconnects and resumes (false: the server said not to).</param>
public readonly record struct ChannelDisconnectedEventArgs(ChannelTransport Transport, string Code, string? Reason, bool WillReconnect);
