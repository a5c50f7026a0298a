using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Switchboard.AspNetCore.Auth;

/// <summary>
/// The keys a <see cref="JwtChannelAuthorizer"/> verifies signatures with, and the algorithms they allow:
/// HS256 for the secret, RS256 for RSA keys, ES256 for EC P-256 keys. Allowing only the algorithm of each
/// key kind keeps a token from choosing how it is checked.
/// </summary>
public sealed class JwtSigningKeys
{
    /// <summary>The shortest HS256 secret accepted, in bytes.</summary>
    public const int MinSecretBytes = 32;
    /// <summary>The smallest RSA key accepted, in bits.</summary>
    public const int MinRsaBits = 2048;

    private JwtSigningKeys(IReadOnlyList<SecurityKey> keys, IReadOnlyList<string> algorithms, IReadOnlyList<string> skipped)
    {
        Keys = keys;
        Algorithms = algorithms;
        Skipped = skipped;
    }

    /// <summary>The keys a token's signature is checked against.</summary>
    public IReadOnlyList<SecurityKey> Keys { get; }

    /// <summary>The algorithms allowed, one per kind of key present.</summary>
    public IReadOnlyList<string> Algorithms { get; }

    /// <summary>JWKS entries left out (encryption keys, other key types or curves), each with the reason.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>
    /// Reads every configured key. Throws <see cref="InvalidOperationException"/> naming the setting at
    /// fault for a short secret, a private or unsupported key, a missing file, or a JWKS without a usable key.
    /// </summary>
    public static JwtSigningKeys Load(JwtAuthorizerOptions options, string? baseDirectory = null)
    {
        var keys = new List<SecurityKey>();
        var algorithms = new SortedSet<string>(StringComparer.Ordinal);
        var skipped = new List<string>();
        if (!string.IsNullOrEmpty(options.Secret))
        {
            var bytes = Encoding.UTF8.GetBytes(options.Secret);
            if (bytes.Length < MinSecretBytes)
            {
                throw Problem("Secret", $"an HS256 secret needs at least {MinSecretBytes} bytes (it has {bytes.Length})");
            }
            keys.Add(new SymmetricSecurityKey(bytes));
            algorithms.Add(SecurityAlgorithms.HmacSha256);
        }
        for (var i = 0; i < options.PublicKeys.Count; i++)
        {
            AddPem(options.PublicKeys[i], $"PublicKeys:{i}", keys, algorithms);
        }
        for (var i = 0; i < options.PublicKeyFiles.Count; i++)
        {
            var setting = $"PublicKeyFiles:{i}";
            AddPem(ReadFile(options.PublicKeyFiles[i], baseDirectory, setting), setting, keys, algorithms);
        }
        if (!string.IsNullOrEmpty(options.JwksFile))
        {
            AddJwks(ReadFile(options.JwksFile, baseDirectory, "JwksFile"), "JwksFile", keys, algorithms, skipped);
        }
        if (!string.IsNullOrEmpty(options.Jwks))
        {
            AddJwks(options.Jwks, "Jwks", keys, algorithms, skipped);
        }
        if (keys.Count == 0 && !options.Anonymous.Enabled)
        {
            throw new InvalidOperationException(
                $"{JwtAuthorizerOptions.SectionName}: no key is configured and anonymous access is off, so every client would be refused; "
                + "set Secret, PublicKeys, PublicKeyFiles, JwksFile or Jwks, or Anonymous:Enabled.");
        }
        return new JwtSigningKeys(keys, [.. algorithms], skipped);
    }

    private static InvalidOperationException Problem(string setting, string message) =>
        new($"{JwtAuthorizerOptions.SectionName}:{setting}: {message}.");

    private static string ReadFile(string path, string? baseDirectory, string setting)
    {
        var full = Path.GetFullPath(path, baseDirectory ?? Directory.GetCurrentDirectory());
        try
        {
            return File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Problem(setting, $"cannot read '{full}': {ex.Message}");
        }
    }

    private static void AddPem(string text, string setting, List<SecurityKey> keys, SortedSet<string> algorithms)
    {
        var rest = text.AsSpan();
        var found = 0;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
            rest = rest[fields.Location.End..];
            found++;
            if (label.Contains("PRIVATE", StringComparison.Ordinal))
            {
                throw Problem(setting, $"holds a private key ({label}); configure the public key only");
            }
            var (key, algorithm) = label switch
            {
                "PUBLIC KEY" => FromSubjectPublicKeyInfo(der, setting),
                "RSA PUBLIC KEY" => Rsa(ImportRsa(der, setting), setting),
                "CERTIFICATE" => FromCertificate(der, setting),
                _ => throw Problem(setting, $"'{label}' is not a public key; use -----BEGIN PUBLIC KEY-----"),
            };
            keys.Add(key);
            algorithms.Add(algorithm);
        }
        if (found == 0)
        {
            throw Problem(setting, "no PEM block found (expected -----BEGIN PUBLIC KEY-----)");
        }
    }

    private static RSA ImportRsa(byte[] der, string setting)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportRSAPublicKey(der, out _);
            return rsa;
        }
        catch (CryptographicException ex)
        {
            rsa.Dispose();
            throw Problem(setting, $"not an RSA public key ({ex.Message})");
        }
    }

    private static (SecurityKey, string) FromSubjectPublicKeyInfo(byte[] der, string setting)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(der, out _);
            return Rsa(rsa, setting);
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
        }
        var ec = ECDsa.Create();
        try
        {
            ec.ImportSubjectPublicKeyInfo(der, out _);
            return Ec(ec, setting);
        }
        catch (CryptographicException)
        {
            ec.Dispose();
            throw Problem(setting, "is neither an RSA nor an EC public key");
        }
    }

    private static (SecurityKey, string) FromCertificate(byte[] der, string setting)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        if (certificate.GetRSAPublicKey() is { } rsa)
        {
            return Rsa(rsa, setting);
        }
        if (certificate.GetECDsaPublicKey() is { } ec)
        {
            return Ec(ec, setting);
        }
        throw Problem(setting, "the certificate's key is neither RSA nor EC");
    }

    private static (SecurityKey, string) Rsa(RSA rsa, string setting)
    {
        if (rsa.KeySize < MinRsaBits)
        {
            throw Problem(setting, $"an RSA key needs at least {MinRsaBits} bits (it has {rsa.KeySize})");
        }
        return (new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256);
    }

    private static (SecurityKey, string) Ec(ECDsa ec, string setting)
    {
        if (ec.KeySize != 256)
        {
            throw Problem(setting, $"ES256 needs an EC key on P-256 (this one has {ec.KeySize} bits)");
        }
        return (new ECDsaSecurityKey(ec), SecurityAlgorithms.EcdsaSha256);
    }

    private static void AddJwks(string json, string setting, List<SecurityKey> keys, SortedSet<string> algorithms, List<string> skipped)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (ArgumentException ex)
        {
            throw Problem(setting, $"not a JSON Web Key Set ({ex.Message})");
        }
        var usable = 0;
        foreach (var key in set.Keys)
        {
            var name = string.IsNullOrEmpty(key.Kid) ? $"key {usable + skipped.Count}" : $"key '{key.Kid}'";
            var algorithm = JwkAlgorithm(key, out var reason);
            if (algorithm is null)
            {
                skipped.Add($"{setting} {name}: {reason}");
                continue;
            }
            keys.Add(key);
            algorithms.Add(algorithm);
            usable++;
        }
        if (usable == 0)
        {
            throw Problem(setting, "holds no RS256 or ES256 signing key" + (skipped.Count > 0 ? $" ({string.Join("; ", skipped)})" : ""));
        }
    }

    private static string? JwkAlgorithm(JsonWebKey key, out string reason)
    {
        reason = "";
        if (key.HasPrivateKey)
        {
            reason = "a private key; publish public keys only";
            return null;
        }
        if (!string.IsNullOrEmpty(key.Use) && key.Use != JsonWebKeyUseNames.Sig)
        {
            reason = $"use '{key.Use}' is not 'sig'";
            return null;
        }
        var algorithm = (key.Kty, key.Crv) switch
        {
            (JsonWebAlgorithmsKeyTypes.RSA, _) when !string.IsNullOrEmpty(key.N) && !string.IsNullOrEmpty(key.E) => SecurityAlgorithms.RsaSha256,
            (JsonWebAlgorithmsKeyTypes.EllipticCurve, JsonWebKeyECTypes.P256) when !string.IsNullOrEmpty(key.X) && !string.IsNullOrEmpty(key.Y) => SecurityAlgorithms.EcdsaSha256,
            _ => null,
        };
        if (algorithm is null)
        {
            reason = $"kty '{key.Kty}'{(string.IsNullOrEmpty(key.Crv) ? "" : $" crv '{key.Crv}'")} is not an RSA or EC P-256 public key";
            return null;
        }
        if (!string.IsNullOrEmpty(key.Alg) && key.Alg != algorithm)
        {
            reason = $"alg '{key.Alg}' is not {algorithm}";
            return null;
        }
        return algorithm;
    }
}
