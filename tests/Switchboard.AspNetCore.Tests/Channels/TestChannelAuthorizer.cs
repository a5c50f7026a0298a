using Switchboard.Channels;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// Tokens for the auth tests: <c>good</c> may do anything, <c>public-only</c> only channels named
/// <c>public-*</c>, <c>expired</c> has expired; no token is missing, anything else is forged.
/// </summary>
public sealed class TestChannelAuthorizer : IChannelAuthorizer
{
    public const string Good = "good";
    public const string PublicOnly = "public-only";
    public const string Expired = "expired";

    public ValueTask<ChannelAuthResult> AuthorizeAsync(string? token, CancellationToken cancellationToken = default) => ValueTask.FromResult(token switch
    {
        null => ChannelAuthResult.Refuse(ChannelAuthFailure.Missing, "a token is required"),
        Good => ChannelAuthResult.Allow(ChannelGrant.All),
        PublicOnly => ChannelAuthResult.Allow(new ChannelGrant(["public-*"], ["public-*"], "limited-user")),
        Expired => ChannelAuthResult.Refuse(ChannelAuthFailure.Expired, "the token has expired"),
        _ => ChannelAuthResult.Refuse(ChannelAuthFailure.Invalid, "the token signature is invalid"),
    });
}
