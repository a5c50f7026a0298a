using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Switchboard.AspNetCore.Auth;
using Switchboard.Channels;
using static Switchboard.Fuzz.FuzzCheckException;

namespace Switchboard.Fuzz.Targets;

/// <summary>
/// JWT claims: the input is a token's payload, signed with the server's HS256 secret so it passes the
/// signature and reaches the claims (channel patterns, user, exp, nbf); the input is also tried as a
/// whole token. Either is allowed or refused with a message; a grant matches channel names.
/// </summary>
internal static class JwtClaimsTarget
{
    public const string Secret = "fuzz-secret-0123456789-abcdefghijklmnop";
    public static readonly TimeProvider Clock = new FixedClock(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private static readonly byte[] Key = Encoding.UTF8.GetBytes(Secret);
    private static readonly string Header = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);
    private static readonly JwtChannelAuthorizer Authorizer = new(new JwtAuthorizerOptions { Secret = Secret }, Clock);

    public static void Run(ReadOnlySpan<byte> input)
    {
        var content = Header + "." + Base64Url.EncodeToString(input);
        var signature = HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes(content));
        CheckResult(Authorizer.AuthorizeAsync(content + "." + Base64Url.EncodeToString(signature)).AsTask().GetAwaiter().GetResult());
        CheckResult(Authorizer.AuthorizeAsync(Encoding.UTF8.GetString(input)).AsTask().GetAwaiter().GetResult());
    }

    private static void CheckResult(ChannelAuthResult result)
    {
        if (!result.Succeeded)
        {
            Check(result.Failure is not null && !string.IsNullOrEmpty(result.Message), "a refusal without a reason");
            return;
        }
        var grant = result.Grant!;
        Check(grant.Subscribe.Count <= JwtChannelClaims.MaxPatterns && grant.Publish.Count <= JwtChannelClaims.MaxPatterns, "more patterns than allowed");
        Check(grant.Subscribe.Concat(grant.Publish).All(p => p.Length > 0), "an empty pattern");
        grant.CanSubscribe("prices.ACME");
        grant.CanPublish("chat/room-1");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
