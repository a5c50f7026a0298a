namespace Switchboard.AspNetCore.Admin;

/// <summary>
/// The admin page's settings (docs/admin.md). The page is only mapped with a credential: a
/// <see cref="Password"/> for HTTP Basic (the browser page), and/or <see cref="Keys"/> for tools, sent
/// in the <c>X-Admin-Key</c> header.
/// </summary>
public sealed class SwitchboardAdminOptions
{
    /// <summary>The user name HTTP Basic must give with <see cref="Password"/>.</summary>
    public string User { get; set; } = "admin";

    /// <summary>The password of HTTP Basic; null or empty turns Basic off.</summary>
    public string? Password { get; set; }

    /// <summary>Keys accepted in the <c>X-Admin-Key</c> header (more than one, to rotate them).</summary>
    public IReadOnlyList<string> Keys { get; set; } = [];

    /// <summary>How often the live stream sends a snapshot.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many channels (the most subscribed) and connections are listed in a snapshot; the totals are always given.</summary>
    public int MaxListed { get; set; } = 200;

    /// <summary>How many of a channel's latest publications its detail shows.</summary>
    public int HistoryLimit { get; set; } = 20;

    /// <summary>The largest publish or disconnect body, in bytes.</summary>
    public long MaxBodySize { get; set; } = 64 * 1024;

    /// <summary>Whether any credential is configured (without one the page must not be mapped).</summary>
    public bool HasCredential => !string.IsNullOrEmpty(Password) || Keys.Any(k => !string.IsNullOrEmpty(k));

    internal void Validate()
    {
        if (!HasCredential)
        {
            throw new InvalidOperationException("The admin page needs a credential: a Password (HTTP Basic) or at least one key in Keys.");
        }
        if (string.IsNullOrEmpty(User) || User.Contains(':', StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The admin User must be non-empty and have no ':' (HTTP Basic).");
        }
        if (SnapshotInterval < TimeSpan.FromMilliseconds(100))
        {
            throw new InvalidOperationException("The admin SnapshotInterval must be at least 100 ms.");
        }
        if (MaxListed < 1 || HistoryLimit < 1 || MaxBodySize < 1)
        {
            throw new InvalidOperationException("The admin MaxListed, HistoryLimit and MaxBodySize must be positive.");
        }
    }
}
