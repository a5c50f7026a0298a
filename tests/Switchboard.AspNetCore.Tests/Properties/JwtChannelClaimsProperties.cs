using System.Text;
using System.Text.Json;
using CsCheck;
using Microsoft.IdentityModel.JsonWebTokens;
using Switchboard.AspNetCore.Auth;
using Switchboard.AspNetCore.Tests.Auth;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.Properties;

/// <summary>Channel claims of a token (docs/auth.md), and the authorizer on validly signed tokens with arbitrary payloads.</summary>
public sealed class JwtChannelClaimsProperties
{
    private const long Iterations = 500;

    private static readonly Gen<string> Pattern =
        Gen.OneOf(Gen.Char["abcXYZ09.*-_/éü"].Select(c => c.ToString()), Gen.Const("中")).Array[1, 12].Select(p => string.Concat(p));

    private static readonly Gen<string> ClaimName = Gen.OneOf("\"sub_channels\"", "\"pub_channels\"", "\"sub\"", "\"exp\"", "\"nbf\"", "\"iat\"", "\"x\"");

    private static readonly Gen<string> ClaimValue = Gen.OneOf(
        "\"a b\"", "\"\"", "\"x\"", "null", "true", "0", "-1", "1.5", "1e300", "-1e300", "1893456000", "253402300800", "-62135596801",
        "99999999999999999999", "[]", "[\"a\",\"b.*\"]", "[\"\"]", "[1]", "[null]", "{}", "[[\"a\"]]");

    /// <summary>Objects of the claims the authorizer reads with values of every shape, token soup, or a pattern of any bytes.</summary>
    private static readonly Gen<byte[]> PayloadInput = Gen.OneOf(
        Gen.Select(ClaimName, ClaimValue, (name, value) => name + ":" + value).Array[0, 5].Select(members => "{" + string.Join(",", members) + "}")
            .Select(Encoding.UTF8.GetBytes),
        Gen.OneOf(ClaimName, ClaimValue, Gen.OneOf("{", "}", "[", "]", ",", ":")).Array[0, 16].Select(parts => Encoding.UTF8.GetBytes(string.Concat(parts))),
        Gen.Byte.Array[1, 6].Select(bytes => (byte[])[.. "{\"exp\":1893456600,\"sub_channels\":[\"a\",\""u8, .. bytes.Where(b => b is >= 0x20 and not (byte)'"' and not (byte)'\\'), .. "\"]}"u8]));

    [Fact]
    public void An_array_claim_reads_back_as_its_patterns()
    {
        Pattern.Array[0, JwtChannelClaims.MaxPatterns].Sample(patterns =>
        {
            var jwt = new JsonWebToken(Unsigned(new Dictionary<string, object> { ["sub_channels"] = patterns }));
            Assert.True(JwtChannelClaims.TryRead(jwt, "sub_channels", out var read, out var problem), problem);
            Assert.Equal(patterns, read);
        }, iter: Iterations);
    }

    [Fact]
    public void A_space_separated_claim_reads_back_as_its_words()
    {
        Pattern.Array[0, JwtChannelClaims.MaxPatterns].Sample(patterns =>
        {
            var jwt = new JsonWebToken(Unsigned(new Dictionary<string, object> { ["pub_channels"] = "  " + string.Join("  ", patterns) + " " }));
            Assert.True(JwtChannelClaims.TryRead(jwt, "pub_channels", out var read, out var problem), problem);
            Assert.Equal(patterns, read);
        }, iter: Iterations);
    }

    [Fact]
    public void A_signed_token_with_any_payload_is_allowed_or_refused_never_thrown()
    {
        var authorizer = new JwtChannelAuthorizer(new JwtAuthorizerOptions { Secret = TestTokens.Secret }, new ManualTimeProvider());
        PayloadInput.Sample(payload =>
        {
            var result = authorizer.AuthorizeAsync(TestTokens.SignPayload(payload)).AsTask().GetAwaiter().GetResult();
            Assert.True(result.Succeeded || !string.IsNullOrEmpty(result.Message));
        }, iter: Iterations);
    }

    private static string Unsigned(Dictionary<string, object> claims) =>
        Base64Url("""{"alg":"none","typ":"JWT"}"""u8) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims)) + ".";

    private static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
