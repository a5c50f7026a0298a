using System.Security.Cryptography;
using Switchboard.AspNetCore.Auth;

namespace Switchboard.AspNetCore.Tests.Auth;

/// <summary>Bad key settings stop the start with a message that names the setting.</summary>
public sealed class JwtSigningKeysTests(TestTokens tokens) : IClassFixture<TestTokens>
{
    private static string LoadFails(JwtAuthorizerOptions options)
    {
        var error = Assert.Throws<InvalidOperationException>(() => JwtSigningKeys.Load(options));
        Assert.StartsWith("Switchboard:Auth", error.Message, StringComparison.Ordinal);
        return error.Message;
    }

    [Fact]
    public void A_secret_shorter_than_32_bytes_is_refused()
    {
        var message = LoadFails(new JwtAuthorizerOptions { Secret = "too-short" });

        Assert.Contains("Switchboard:Auth:Secret", message);
        Assert.Contains("32 bytes", message);
    }

    [Fact]
    public void A_private_key_is_refused()
    {
        var message = LoadFails(new JwtAuthorizerOptions { PublicKeys = { tokens.Rsa.ExportPkcs8PrivateKeyPem() } });

        Assert.Contains("PublicKeys:0", message);
        Assert.Contains("private key", message);
    }

    [Fact]
    public void Text_without_a_PEM_block_is_refused()
    {
        var message = LoadFails(new JwtAuthorizerOptions { PublicKeys = { "not a key" } });

        Assert.Contains("no PEM block", message);
    }

    [Fact]
    public void An_RSA_key_under_2048_bits_is_refused()
    {
        using var small = RSA.Create(1024);

        var message = LoadFails(new JwtAuthorizerOptions { PublicKeys = { small.ExportSubjectPublicKeyInfoPem() } });

        Assert.Contains("2048", message);
    }

    [Fact]
    public void An_EC_key_not_on_P256_is_refused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var message = LoadFails(new JwtAuthorizerOptions { PublicKeys = { p384.ExportSubjectPublicKeyInfoPem() } });

        Assert.Contains("P-256", message);
    }

    [Fact]
    public void A_missing_key_file_is_refused_with_its_path()
    {
        var message = LoadFails(new JwtAuthorizerOptions { PublicKeyFiles = { "/nonexistent/key.pem" } });

        Assert.Contains("PublicKeyFiles:0", message);
        Assert.Contains("/nonexistent/key.pem", message);
    }

    [Fact]
    public void A_JWKS_without_a_usable_key_is_refused()
    {
        var message = LoadFails(new JwtAuthorizerOptions { Jwks = """{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}""" });

        Assert.Contains("Jwks", message);
        Assert.Contains("no RS256 or ES256", message);
    }

    [Fact]
    public void Text_that_is_not_a_JWKS_is_refused()
    {
        var message = LoadFails(new JwtAuthorizerOptions { Jwks = "[1,2" });

        Assert.Contains("not a JSON Web Key Set", message);
    }

    [Fact]
    public void No_key_and_no_anonymous_access_is_refused()
    {
        var message = LoadFails(new JwtAuthorizerOptions());

        Assert.Contains("Anonymous:Enabled", message);
    }

    [Fact]
    public void Each_kind_of_key_allows_only_its_own_algorithm()
    {
        var keys = JwtSigningKeys.Load(new JwtAuthorizerOptions
        {
            Secret = TestTokens.Secret,
            PublicKeys = { tokens.RsaPublicPem + "\n" + tokens.EcPublicPem },
        });

        Assert.Equal(3, keys.Keys.Count);
        Assert.Equal(["ES256", "HS256", "RS256"], keys.Algorithms);
    }
}
