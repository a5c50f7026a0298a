using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Switchboard.AspNetCore.Auth;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;

namespace Switchboard.AspNetCore.Tests.Auth;

public sealed class JwtChannelAuthorizerTests(TestTokens tokens) : IClassFixture<TestTokens>
{
    private readonly ManualTimeProvider _time = new();

    private JwtChannelAuthorizer Authorizer(Action<JwtAuthorizerOptions>? configure = null)
    {
        var options = new JwtAuthorizerOptions { Secret = TestTokens.Secret };
        configure?.Invoke(options);
        return new JwtChannelAuthorizer(options, _time);
    }

    private static async Task<ChannelGrant> Allowed(IChannelAuthorizer authorizer, string? token)
    {
        var result = await authorizer.AuthorizeAsync(token).Within();
        Assert.True(result.Succeeded, $"refused: {result.Failure} {result.Message}");
        return result.Grant!;
    }

    private static async Task<ChannelAuthResult> Refused(IChannelAuthorizer authorizer, string? token, ChannelAuthFailure failure)
    {
        var result = await authorizer.AuthorizeAsync(token).Within();
        Assert.False(result.Succeeded, "the token was accepted");
        Assert.Equal(failure, result.Failure);
        Assert.False(string.IsNullOrEmpty(result.Message));
        return result;
    }

    [Fact]
    public async Task An_HS256_token_grants_the_patterns_of_its_array_claims_and_names_the_user()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: new[] { "prices.*", "news" }, publish: new[] { "chat.*" }, subject: "alice");

        var grant = await Allowed(Authorizer(), token);

        Assert.Equal(["prices.*", "news"], grant.Subscribe);
        Assert.Equal(["chat.*"], grant.Publish);
        Assert.Equal("alice", grant.UserId);
        Assert.True(grant.CanSubscribe("prices.AAPL"));
        Assert.True(grant.CanPublish("chat.lobby"));
    }

    [Fact]
    public async Task Channels_not_matching_the_granted_patterns_are_refused()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: new[] { "prices.*" }, publish: new[] { "chat.*" });

        var grant = await Allowed(Authorizer(), token);

        Assert.False(grant.CanSubscribe("news"));
        Assert.False(grant.CanSubscribe("chat.lobby"));
        Assert.False(grant.CanPublish("prices.AAPL"));
        Assert.False(grant.CanPublish("chat"));
    }

    [Fact]
    public async Task Space_separated_claims_list_one_pattern_per_word()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: "prices.* news  alerts", publish: "chat.*");

        var grant = await Allowed(Authorizer(), token);

        Assert.Equal(["prices.*", "news", "alerts"], grant.Subscribe);
        Assert.Equal(["chat.*"], grant.Publish);
    }

    [Fact]
    public async Task Claim_names_are_configurable_and_missing_claims_grant_nothing()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subject: null, extra: new Dictionary<string, object> { ["read"] = new[] { "a" }, ["uid"] = "u-7" });

        var grant = await Allowed(Authorizer(o => { o.SubscribeClaim = "read"; o.PublishClaim = "write"; o.UserIdClaim = "uid"; }), token);

        Assert.Equal(["a"], grant.Subscribe);
        Assert.Empty(grant.Publish);
        Assert.Equal("u-7", grant.UserId);
    }

    [Theory]
    [InlineData(42)]
    [InlineData(true)]
    public async Task A_pattern_claim_of_another_shape_makes_the_token_invalid(object value)
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: value);

        var result = await Refused(Authorizer(), token, ChannelAuthFailure.Invalid);

        Assert.Contains("sub_channels", result.Message);
    }

    [Fact]
    public async Task An_array_claim_with_a_non_string_item_makes_the_token_invalid()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), publish: new object[] { "chat.*", 7 });

        var result = await Refused(Authorizer(), token, ChannelAuthFailure.Invalid);

        Assert.Contains("pub_channels", result.Message);
    }

    [Fact]
    public async Task An_expired_token_is_refused_as_expired_once_past_the_clock_skew()
    {
        var authorizer = Authorizer(o => o.ClockSkew = TimeSpan.FromSeconds(30));
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: "*", lifetime: TimeSpan.FromMinutes(1));

        _time.Jump(TimeSpan.FromSeconds(60 + 29));
        await Allowed(authorizer, token);

        _time.Jump(TimeSpan.FromSeconds(2));
        var result = await Refused(authorizer, token, ChannelAuthFailure.Expired);
        Assert.Equal("The token has expired.", result.Message);
    }

    [Fact]
    public async Task A_token_not_valid_yet_is_invalid()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: "*");
        var early = new ManualTimeProvider();
        var authorizer = new JwtChannelAuthorizer(new JwtAuthorizerOptions { Secret = TestTokens.Secret, ClockSkew = TimeSpan.Zero }, new ShiftedTime(early, TimeSpan.FromMinutes(-5)));

        var result = await Refused(authorizer, token, ChannelAuthFailure.Invalid);

        Assert.Contains("not valid yet", result.Message);
    }

    [Fact]
    public async Task A_token_without_expiry_is_invalid_unless_expiry_is_optional()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: "*", withExpiry: false);

        var result = await Refused(Authorizer(), token, ChannelAuthFailure.Invalid);
        Assert.Contains("expiry", result.Message);

        await Allowed(Authorizer(o => o.RequireExpiration = false), token);
    }

    [Fact]
    public async Task An_expiry_that_is_not_a_number_makes_the_token_invalid()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: "*", withExpiry: false, extra: new Dictionary<string, object> { ["exp"] = "tomorrow" });

        await Refused(Authorizer(), token, ChannelAuthFailure.Invalid);
    }

    [Theory]
    [InlineData(253402300799L)] // 9999-12-31T23:59:59Z, the last second a DateTime holds
    [InlineData(253402300800L)]
    [InlineData(long.MaxValue)]
    public async Task An_expiry_at_the_end_of_time_is_far_from_expired(long exp)
    {
        // Found by JwtChannelClaimsProperties: the skew was added to the expiry and overflowed DateTime.
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: "*", withExpiry: false, extra: new Dictionary<string, object> { ["exp"] = exp });

        await Allowed(Authorizer(), token);
    }

    [Fact]
    public async Task A_channel_pattern_that_is_not_utf8_makes_the_token_invalid()
    {
        // Found by the jwt-claims fuzz target: reading the pattern threw InvalidOperationException.
        byte[] payload = [.. "{\"exp\":1893456600,\"sub_channels\":[\"prices.*\",\""u8, 0xBD, .. "news\"]}"u8];

        var result = await Refused(Authorizer(), TestTokens.SignPayload(payload), ChannelAuthFailure.Invalid);

        Assert.Contains("sub_channels", result.Message);
    }

    [Fact]
    public async Task A_token_signed_with_another_secret_is_invalid()
    {
        var token = TestTokens.Create(TestTokens.Hs256(TestTokens.OtherSecret), subscribe: "*", publish: "*");

        var result = await Refused(Authorizer(), token, ChannelAuthFailure.Invalid);

        Assert.Equal("The token's signature is invalid.", result.Message);
    }

    [Fact]
    public async Task A_forged_token_that_has_also_expired_is_invalid_not_expired()
    {
        var token = TestTokens.Create(TestTokens.Hs256(TestTokens.OtherSecret), subscribe: "*", lifetime: TimeSpan.FromSeconds(1));
        _time.Jump(TimeSpan.FromHours(1));

        await Refused(Authorizer(), token, ChannelAuthFailure.Invalid);
    }

    [Fact]
    public async Task An_unsigned_token_is_invalid()
    {
        var token = TestTokens.Create(credentials: null, subscribe: "*", publish: "*");
        Assert.EndsWith(".", token);

        await Refused(Authorizer(), token, ChannelAuthFailure.Invalid);
    }

    [Fact]
    public async Task A_token_whose_payload_was_changed_is_invalid()
    {
        var token = TestTokens.Create(TestTokens.Hs256(), subscribe: "prices.*");
        var granted = TestTokens.Create(TestTokens.Hs256(TestTokens.OtherSecret), subscribe: "*");
        var parts = token.Split('.');
        var tampered = $"{parts[0]}.{granted.Split('.')[1]}.{parts[2]}";

        var result = await Refused(Authorizer(), tampered, ChannelAuthFailure.Invalid);

        Assert.Equal("The token's signature is invalid.", result.Message);
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9..")]
    [InlineData("....")]
    public async Task A_malformed_token_is_invalid(string token)
    {
        await Refused(Authorizer(), token, ChannelAuthFailure.Invalid);
    }

    [Fact]
    public async Task Issuer_and_audience_are_checked_when_configured()
    {
        var authorizer = Authorizer(o => { o.Issuer = "https://auth.example"; o.Audience = "switchboard"; });

        await Allowed(authorizer, TestTokens.Create(TestTokens.Hs256(), subscribe: "*", issuer: "https://auth.example", audience: "switchboard"));
        var wrongIssuer = await Refused(authorizer, TestTokens.Create(TestTokens.Hs256(), issuer: "https://evil.example", audience: "switchboard"), ChannelAuthFailure.Invalid);
        Assert.Contains("issuer", wrongIssuer.Message);
        var wrongAudience = await Refused(authorizer, TestTokens.Create(TestTokens.Hs256(), issuer: "https://auth.example", audience: "other"), ChannelAuthFailure.Invalid);
        Assert.Contains("audience", wrongAudience.Message);
        await Refused(authorizer, TestTokens.Create(TestTokens.Hs256(), audience: "switchboard"), ChannelAuthFailure.Invalid);
    }

    [Fact]
    public async Task Without_a_token_access_is_refused_as_missing_when_anonymous_access_is_off()
    {
        var authorizer = Authorizer();

        await Refused(authorizer, null, ChannelAuthFailure.Missing);
        await Refused(authorizer, "", ChannelAuthFailure.Missing);
    }

    [Fact]
    public async Task Anonymous_access_grants_its_own_patterns_and_adds_them_to_every_token()
    {
        var authorizer = Authorizer(o =>
        {
            o.Anonymous.Enabled = true;
            o.Anonymous.Subscribe.Add("*");
            o.Anonymous.Publish.Add("demo.*");
        });

        var anonymous = await Allowed(authorizer, null);
        Assert.Equal(["*"], anonymous.Subscribe);
        Assert.Equal(["demo.*"], anonymous.Publish);
        Assert.Null(anonymous.UserId);
        Assert.False(anonymous.CanPublish("prices.AAPL"));

        var user = await Allowed(authorizer, TestTokens.Create(TestTokens.Hs256(), publish: new[] { "prices.*" }, subject: "bob"));
        Assert.True(user.CanPublish("prices.AAPL"));
        Assert.True(user.CanPublish("demo.x"));
        Assert.True(user.CanSubscribe("anything"));
        Assert.Equal("bob", user.UserId);
    }

    [Fact]
    public async Task Anonymous_access_does_not_make_a_bad_token_acceptable()
    {
        var authorizer = Authorizer(o => { o.Anonymous.Enabled = true; o.Anonymous.Subscribe.Add("*"); });

        await Refused(authorizer, TestTokens.Create(TestTokens.Hs256(TestTokens.OtherSecret)), ChannelAuthFailure.Invalid);
        await Refused(authorizer, "garbage", ChannelAuthFailure.Invalid);
    }

    [Fact]
    public async Task With_anonymous_access_and_no_key_any_token_is_invalid()
    {
        var options = new JwtAuthorizerOptions();
        options.Anonymous.Enabled = true;
        var authorizer = new JwtChannelAuthorizer(options, _time);

        Assert.False(authorizer.HasKeys);
        await Allowed(authorizer, null);
        await Refused(authorizer, TestTokens.Create(TestTokens.Hs256()), ChannelAuthFailure.Invalid);
    }

    [Fact]
    public async Task An_RS256_token_is_checked_with_a_PEM_public_key()
    {
        var authorizer = new JwtChannelAuthorizer(new JwtAuthorizerOptions { PublicKeys = { tokens.RsaPublicPem } }, _time);

        var grant = await Allowed(authorizer, TestTokens.Create(tokens.Rs256(), subscribe: "prices.*"));
        Assert.Equal(["prices.*"], grant.Subscribe);

        var forged = await Refused(authorizer, TestTokens.Create(tokens.Rs256(tokens.OtherRsa), subscribe: "*"), ChannelAuthFailure.Invalid);
        Assert.Equal("The token's signature is invalid.", forged.Message);
        await Refused(authorizer, TestTokens.Create(TestTokens.Hs256(), subscribe: "*"), ChannelAuthFailure.Invalid);
    }

    [Fact]
    public async Task An_ES256_token_is_checked_with_a_PEM_public_key_from_a_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"sb-ec-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(file, tokens.EcPublicPem);
        try
        {
            var authorizer = new JwtChannelAuthorizer(new JwtAuthorizerOptions { PublicKeyFiles = { Path.GetFileName(file) } }, _time, baseDirectory: Path.GetDirectoryName(file));

            var grant = await Allowed(authorizer, TestTokens.Create(tokens.Es256(), publish: new[] { "chat.*" }));
            Assert.Equal(["chat.*"], grant.Publish);
            await Refused(authorizer, TestTokens.Create(tokens.Rs256(), publish: "*"), ChannelAuthFailure.Invalid);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_PEM_certificate_provides_its_public_key()
    {
        var request = new CertificateRequest("CN=issuer", tokens.Ec, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(TestTokens.Now.AddDays(-1), TestTokens.Now.AddDays(1));
        var authorizer = new JwtChannelAuthorizer(new JwtAuthorizerOptions { PublicKeys = { certificate.ExportCertificatePem() } }, _time);

        await Allowed(authorizer, TestTokens.Create(tokens.Es256(), subscribe: "*"));
        await Refused(authorizer, TestTokens.Create(tokens.Rs256(), subscribe: "*"), ChannelAuthFailure.Invalid);
    }

    [Fact]
    public async Task A_JWKS_file_provides_RSA_and_EC_keys_and_its_encryption_keys_are_skipped()
    {
        var file = Path.Combine(Path.GetTempPath(), $"sb-jwks-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, tokens.Jwks());
        try
        {
            var options = new JwtAuthorizerOptions { JwksFile = file };
            var keys = JwtSigningKeys.Load(options);
            Assert.Equal(2, keys.Keys.Count);
            Assert.Equal(["ES256", "RS256"], keys.Algorithms);
            Assert.Contains(keys.Skipped, s => s.Contains("enc-1", StringComparison.Ordinal));

            var authorizer = new JwtChannelAuthorizer(options, _time);
            await Allowed(authorizer, TestTokens.Create(tokens.Rs256(kid: "rsa-1"), subscribe: "*"));
            await Allowed(authorizer, TestTokens.Create(tokens.Es256(kid: "ec-1"), subscribe: "*"));
            await Refused(authorizer, TestTokens.Create(tokens.Rs256(tokens.OtherRsa, kid: "rsa-1"), subscribe: "*"), ChannelAuthFailure.Invalid);
            await Refused(authorizer, TestTokens.Create(tokens.Rs256(tokens.OtherRsa, kid: "unknown"), subscribe: "*"), ChannelAuthFailure.Invalid);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task An_inline_JWKS_works_like_a_file()
    {
        var authorizer = new JwtChannelAuthorizer(new JwtAuthorizerOptions { Jwks = tokens.Jwks() }, _time);

        await Allowed(authorizer, TestTokens.Create(tokens.Es256(), subscribe: "*"));
    }

    /// <summary>A clock a fixed amount off another one.</summary>
    private sealed class ShiftedTime(TimeProvider inner, TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + shift;
    }
}
