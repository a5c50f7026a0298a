using System.Text.Json;
using Microsoft.Extensions.Logging;
using Switchboard.Client.Channels.Transports;

namespace Switchboard.Client.Channels;

/// <summary>The channel set: subscriptions, positions, delivery once and in order.</summary>
public sealed partial class ChannelClient
{
    private readonly Dictionary<string, ChannelEntry> _channels = new(StringComparer.Ordinal);
    private int _version;

    /// <summary>
    /// Subscribes to <paramref name="channel"/>, after <paramref name="since"/> (a position saved earlier:
    /// the publications after it are replayed, or a <see cref="ChannelDiscontinuity"/> says they cannot be)
    /// or from now. Several subscriptions of one channel share its position and deliveries. Starts the
    /// client if it is not running.
    /// </summary>
    /// <exception cref="ChannelClientException">The client is closed.</exception>
    public ChannelSubscription Subscribe(string channel, ChannelPosition? since = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        if (since is { } position)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(position.Offset, nameof(since));
            ArgumentException.ThrowIfNullOrEmpty(position.Epoch, nameof(since));
        }
        var subscription = new ChannelSubscription(this, channel, Options.SubscriptionCapacity);
        bool changed;
        lock (_gate)
        {
            if (_state == ChannelClientState.Closed)
            {
                throw _closeError ?? Closed();
            }
            changed = !_channels.TryGetValue(channel, out var entry);
            if (entry is null)
            {
                entry = new ChannelEntry { Position = since };
                _channels.Add(channel, entry);
                _version++;
            }
            else if (entry.Confirmed && entry.Position is { } confirmed)
            {
                subscription.Confirm(confirmed);
            }
            entry.Subscriptions.Add(subscription);
        }
        if (changed)
        {
            ChannelsChanged();
        }
        EnsureStarted();
        return subscription;
    }

    /// <summary>A channel's last position delivered, or confirmed by the server; null for a channel not subscribed or not yet placed.</summary>
    public ChannelPosition? GetPosition(string channel)
    {
        lock (_gate)
        {
            return _channels.TryGetValue(channel, out var entry) ? entry.Position : null;
        }
    }

    /// <summary>Every subscribed channel's position (null where not yet known): what to save to resume later.</summary>
    public IReadOnlyDictionary<string, ChannelPosition?> GetPositions()
    {
        lock (_gate)
        {
            return _channels.ToDictionary(p => p.Key, p => p.Value.Position, StringComparer.Ordinal);
        }
    }

    internal int Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    /// <summary>The channels, in subscription order, and the version of the set.</summary>
    internal (string[] Channels, int Version) Snapshot()
    {
        lock (_gate)
        {
            return ([.. _channels.Keys], _version);
        }
    }

    internal void Release(ChannelSubscription subscription)
    {
        bool changed;
        lock (_gate)
        {
            if (!_channels.TryGetValue(subscription.Channel, out var entry) || !entry.Subscriptions.Remove(subscription))
            {
                return;
            }
            changed = entry.Subscriptions.Count == 0;
            if (changed)
            {
                _channels.Remove(subscription.Channel);
                _version++;
            }
        }
        subscription.End(null);
        if (changed)
        {
            ChannelsChanged();
        }
    }

    private void ChannelsChanged()
    {
        ChannelConnection? connection;
        lock (_gate)
        {
            connection = _state == ChannelClientState.Connected ? _connection : null;
        }
        connection?.ChannelsChanged();
    }

    /// <summary>A publication from any transport: delivered unless it is at or below the channel's position in the same epoch (a replay overlap).</summary>
    internal async ValueTask DeliverAsync(string channel, ChannelPosition position, string eventName, JsonElement data, CancellationToken cancellationToken)
    {
        ChannelSubscription[] targets;
        lock (_gate)
        {
            if (!_channels.TryGetValue(channel, out var entry)
                || (entry.Position is { } last && last.Epoch == position.Epoch && position.Offset <= last.Offset))
            {
                return;
            }
            entry.Position = position;
            targets = [.. entry.Subscriptions];
        }
        var item = new ChannelPublication(channel, position, eventName, data);
        foreach (var target in targets)
        {
            await target.PushAsync(item, cancellationToken).ConfigureAwait(false);
        }
    }

    internal async ValueTask DiscontinuityAsync(string channel, ChannelPosition position, CancellationToken cancellationToken)
    {
        ChannelSubscription[] targets;
        ChannelPosition? requested;
        lock (_gate)
        {
            if (!_channels.TryGetValue(channel, out var entry))
            {
                return;
            }
            requested = entry.Position;
            entry.Position = position;
            targets = [.. entry.Subscriptions];
        }
        Logger.ChannelDiscontinuity(channel, requested is { } r ? $"{r.Offset}.{r.Epoch}" : "(none)", position.Offset, position.Epoch);
        var item = new ChannelDiscontinuity(channel, position, requested);
        Raise(Discontinuity, item, nameof(Discontinuity));
        foreach (var target in targets)
        {
            await target.PushAsync(item, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The server placed a channel (a subscribe reply, SSE <c>subscribed</c>, a poll's cursor). Live
    /// publications may come before a subscribe reply, so a position already held is kept unless
    /// <paramref name="always"/> (a poll's cursor, which follows what it delivered).
    /// </summary>
    internal void Confirmed(string channel, ChannelPosition position, bool always)
    {
        ChannelSubscription[] targets = [];
        lock (_gate)
        {
            if (!_channels.TryGetValue(channel, out var entry))
            {
                return;
            }
            if (entry.Position is null || always)
            {
                entry.Position = position;
            }
            if (!entry.Confirmed)
            {
                entry.Confirmed = true;
                targets = [.. entry.Subscriptions];
            }
            position = entry.Position.Value;
        }
        foreach (var target in targets)
        {
            target.Confirm(position);
        }
    }

    /// <summary>The server refused one channel (a WebSocket subscribe): that channel's subscriptions end with the error.</summary>
    internal void Refused(string channel, ChannelClientException error)
    {
        ChannelSubscription[] targets;
        lock (_gate)
        {
            if (!_channels.Remove(channel, out var entry))
            {
                return;
            }
            _version++;
            targets = [.. entry.Subscriptions];
        }
        Logger.ChannelSubscriptionRefused(channel, error.Code, error.Message);
        foreach (var target in targets)
        {
            target.End(error);
        }
        Raise(Error, error, nameof(Error));
    }

    private sealed class ChannelEntry
    {
        public ChannelPosition? Position;
        public bool Confirmed;
        public readonly List<ChannelSubscription> Subscriptions = [];
    }
}
