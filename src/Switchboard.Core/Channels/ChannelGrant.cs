namespace Switchboard.Channels;

/// <summary>
/// What a client may do with channels: the channel name patterns (<see cref="ChannelPattern"/> globs) it
/// may subscribe to and publish on, and who it is.
/// </summary>
public sealed record ChannelGrant(IReadOnlyList<string> Subscribe, IReadOnlyList<string> Publish, string? UserId = null)
{
    /// <summary>Everything allowed (the library's default when no authorizer is configured).</summary>
    public static readonly ChannelGrant All = new(["*"], ["*"]);

    /// <summary>Whether the grant lets the client subscribe to <paramref name="channel"/>.</summary>
    public bool CanSubscribe(string channel) => Matches(Subscribe, channel);

    /// <summary>Whether the grant lets the client publish on <paramref name="channel"/>.</summary>
    public bool CanPublish(string channel) => Matches(Publish, channel);

    private static bool Matches(IReadOnlyList<string> patterns, string channel)
    {
        // By index: a foreach over the interface allocates an enumerator, and every long poll checks its channels here.
        for (var i = 0; i < patterns.Count; i++)
        {
            if (ChannelPattern.IsMatch(patterns[i], channel))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>Why a credential was refused.</summary>
public enum ChannelAuthFailure
{
    /// <summary>No credential, and anonymous access is not allowed.</summary>
    Missing,

    /// <summary>The token has expired.</summary>
    Expired,

    /// <summary>The token is malformed, forged (bad signature), or not for us (issuer, audience).</summary>
    Invalid,
}

/// <summary>The wire names of <see cref="ChannelAuthFailure"/>.</summary>
public static class ChannelAuthFailures
{
    /// <summary>The error code every channel protocol uses for a refused credential.</summary>
    public static string ToWireName(this ChannelAuthFailure failure) => failure switch
    {
        ChannelAuthFailure.Expired => "token_expired",
        ChannelAuthFailure.Missing => "token_missing",
        _ => "token_invalid",
    };
}

/// <summary>The outcome of checking a client's credential: a grant, or the reason for refusal.</summary>
public readonly record struct ChannelAuthResult(ChannelGrant? Grant, ChannelAuthFailure? Failure, string? Message = null)
{
    /// <summary>Whether the credential was accepted (<see cref="Grant"/> is set).</summary>
    public bool Succeeded => Grant is not null;

    /// <summary>An accepted credential with its grant.</summary>
    public static ChannelAuthResult Allow(ChannelGrant grant) => new(grant, null);

    /// <summary>A refused credential, with the reason and a message for the client.</summary>
    public static ChannelAuthResult Refuse(ChannelAuthFailure failure, string message) => new(null, failure, message);
}

/// <summary>
/// Turns a client's credential (a bearer token, whichever way its protocol carried it) into a
/// <see cref="ChannelGrant"/>. Every channel protocol asks the same authorizer.
/// </summary>
public interface IChannelAuthorizer
{
    /// <summary>Judges a token: a grant, or the reason it is refused.</summary>
    /// <param name="token">The token the client presented, or null when it presented none.</param>
    /// <param name="cancellationToken">Ends a lookup (a JWKS fetch) when the request is gone.</param>
    ValueTask<ChannelAuthResult> AuthorizeAsync(string? token, CancellationToken cancellationToken = default);
}

/// <summary>Allows everything to everyone: the default when nothing else is registered.</summary>
public sealed class AllowAllChannelAuthorizer : IChannelAuthorizer
{
    /// <inheritdoc/>
    public ValueTask<ChannelAuthResult> AuthorizeAsync(string? token, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ChannelAuthResult.Allow(ChannelGrant.All));
}
