using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Switchboard.AspNetCore.Tests.Auth;

/// <summary>Signing keys made once in the test process (RSA key generation is slow), and tokens signed with them.</summary>
public sealed class TestTokens
{
    private static readonly RSA s_rsa = RSA.Create(2048);
    private static readonly RSA s_otherRsa = RSA.Create(2048);
    private static readonly ECDsa s_ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public const string Secret = "test-secret-0123456789-abcdefghijklmnop";
    public const string OtherSecret = "another-secret-0123456789-abcdefghijkl";
    public static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public RSA Rsa => s_rsa;

    public RSA OtherRsa => s_otherRsa;

    public ECDsa Ec => s_ec;

    public string RsaPublicPem => Rsa.ExportSubjectPublicKeyInfoPem();

    public string EcPublicPem => Ec.ExportSubjectPublicKeyInfoPem();

    public static SigningCredentials Hs256(string secret = Secret) =>
        new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256);

    public SigningCredentials Rs256(RSA? rsa = null, string? kid = null) =>
        new(new RsaSecurityKey(rsa ?? Rsa) { KeyId = kid }, SecurityAlgorithms.RsaSha256);

    public SigningCredentials Es256(string? kid = null) => new(new ECDsaSecurityKey(Ec) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256);

    /// <summary>A JWKS document with the RSA and EC public keys, and an encryption key that must be skipped.</summary>
    public string Jwks()
    {
        var rsa = Rsa.ExportParameters(false);
        var ec = Ec.ExportParameters(false);
        return JsonSerializer.Serialize(new
        {
            keys = new object[]
            {
                new { kty = "RSA", use = "sig", kid = "rsa-1", alg = "RS256", n = Base64UrlEncoder.Encode(rsa.Modulus), e = Base64UrlEncoder.Encode(rsa.Exponent) },
                new { kty = "EC", use = "sig", kid = "ec-1", crv = "P-256", x = Base64UrlEncoder.Encode(ec.Q.X), y = Base64UrlEncoder.Encode(ec.Q.Y) },
                new { kty = "RSA", use = "enc", kid = "enc-1", n = Base64UrlEncoder.Encode(rsa.Modulus), e = Base64UrlEncoder.Encode(rsa.Exponent) },
            },
        });
    }

    /// <summary>An HS256 token over exactly these payload bytes, which need not be JSON or UTF-8.</summary>
    public static string SignPayload(ReadOnlySpan<byte> payload, string secret = Secret)
    {
        var content = System.Buffers.Text.Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8) + "." + System.Buffers.Text.Base64Url.EncodeToString(payload);
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(content));
        return content + "." + System.Buffers.Text.Base64Url.EncodeToString(signature);
    }

    /// <summary>
    /// A token valid from <paramref name="issuedAt"/> (default <see cref="Now"/>) for <paramref name="lifetime"/> (default 10 min; null: no exp),
    /// with the given claims. Null credentials make an unsigned token (<c>alg: none</c>).
    /// </summary>
    public static string Create(SigningCredentials? credentials, object? subscribe = null, object? publish = null, string? subject = "user-1",
        TimeSpan? lifetime = default, bool withExpiry = true, string? issuer = null, string? audience = null, IDictionary<string, object>? extra = null,
        DateTimeOffset? issuedAt = null)
    {
        var now = issuedAt ?? Now;
        var claims = new Dictionary<string, object>(extra ?? new Dictionary<string, object>());
        if (subscribe is not null)
        {
            claims["sub_channels"] = subscribe;
        }
        if (publish is not null)
        {
            claims["pub_channels"] = publish;
        }
        if (subject is not null)
        {
            claims["sub"] = subject;
        }
        var descriptor = new SecurityTokenDescriptor
        {
            SigningCredentials = credentials,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = withExpiry ? (now + (lifetime ?? TimeSpan.FromMinutes(10))).UtcDateTime : null,
            Issuer = issuer,
            Audience = audience,
        };
        return Handler.CreateToken(descriptor);
    }
}
