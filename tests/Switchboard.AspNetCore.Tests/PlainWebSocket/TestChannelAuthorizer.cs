using Switchboard.Channels;

namespace Switchboard.AspNetCore.Tests.PlainWebSocket;

/// <summary>
/// Tokens for the auth scenarios: <c>all</c> may do anything; <c>reader</c> may subscribe to <c>news.*</c>
/// only; <c>writer</c> may subscribe to and publish on <c>news.*</c>; <c>expired</c> is expired; no token
/// is missing; anything else is forged.
/// </summary>
public sealed class TestChannelAuthorizer : IChannelAuthorizer
{
    public ValueTask<ChannelAuthResult> AuthorizeAsync(string? token, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(token switch
        {
            null => ChannelAuthResult.Refuse(ChannelAuthFailure.Missing, "a token is required"),
            "all" => ChannelAuthResult.Allow(ChannelGrant.All),
            "reader" => ChannelAuthResult.Allow(new ChannelGrant(["news.*"], [], "reader")),
            "writer" => ChannelAuthResult.Allow(new ChannelGrant(["news.*"], ["news.*"], "writer")),
            "expired" => ChannelAuthResult.Refuse(ChannelAuthFailure.Expired, "the token expired"),
            _ => ChannelAuthResult.Refuse(ChannelAuthFailure.Invalid, "the token signature is invalid"),
        });
}
