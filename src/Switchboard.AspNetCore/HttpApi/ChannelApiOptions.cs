using Switchboard.Channels;

namespace Switchboard.AspNetCore.HttpApi;

/// <summary>Settings of the HTTP API for backends (<c>MapChannelApi</c>); docs/protocols/http-api.md.</summary>
public sealed class ChannelApiOptions
{
    /// <summary>Keys with every right: publish and read any channel, disconnect any connection.</summary>
    public IReadOnlyList<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// Keys limited to a grant: publish where <see cref="ChannelGrant.CanPublish"/> allows, read history and
    /// presence where <see cref="ChannelGrant.CanSubscribe"/> allows; no disconnect. Anything else is 403.
    /// </summary>
    public IReadOnlyDictionary<string, ChannelGrant> ScopedApiKeys { get; set; } = new Dictionary<string, ChannelGrant>();

    /// <summary>The largest request body accepted; larger ones get 413. Default 64 KiB.</summary>
    public long MaxBodySize { get; set; } = 64 * 1024;

    /// <summary>How long a publish's idempotency key is remembered. Default 5 minutes.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most idempotency keys remembered at once; beyond it the oldest are forgotten first. Default 10 000.</summary>
    public int MaxIdempotencyKeys { get; set; } = 10_000;

    /// <summary>The most channels one publish may name. Default 64.</summary>
    public int MaxChannels { get; set; } = 64;

    /// <summary>How many publications a history request returns when it gives no <c>limit</c>. Default 100.</summary>
    public int DefaultHistoryLimit { get; set; } = 100;

    /// <summary>The most publications one history request returns. Default 1000.</summary>
    public int MaxHistoryLimit { get; set; } = 1000;

    internal void Validate()
    {
        if (ApiKeys.Count == 0 && ScopedApiKeys.Count == 0)
        {
            throw new InvalidOperationException("MapChannelApi needs at least one key in ApiKeys or ScopedApiKeys.");
        }
        if (ApiKeys.Concat(ScopedApiKeys.Keys).Any(string.IsNullOrEmpty))
        {
            throw new InvalidOperationException("An API key must not be empty.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBodySize, 1, nameof(MaxBodySize));
        ArgumentOutOfRangeException.ThrowIfLessThan(IdempotencyWindow, TimeSpan.Zero, nameof(IdempotencyWindow));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIdempotencyKeys, 1, nameof(MaxIdempotencyKeys));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxChannels, 1, nameof(MaxChannels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHistoryLimit, 1, nameof(MaxHistoryLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultHistoryLimit, 1, nameof(DefaultHistoryLimit));
    }
}
