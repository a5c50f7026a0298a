namespace Switchboard.AspNetCore.Auth;

/// <summary>
/// How <see cref="JwtChannelAuthorizer"/> checks tokens (docs/auth.md). Binds from configuration, section
/// <see cref="SectionName"/> in the standalone server. Configure one kind of key or several: an HS256
/// <see cref="Secret"/>, RS256/ES256 public keys in PEM (<see cref="PublicKeys"/>, <see cref="PublicKeyFiles"/>),
/// or a JSON Web Key Set (<see cref="JwksFile"/>, <see cref="Jwks"/>). With no key at all, only anonymous
/// access is possible, and it must be enabled.
/// </summary>
public sealed class JwtAuthorizerOptions
{
    /// <summary>The configuration section the standalone server binds these options from.</summary>
    public const string SectionName = "Switchboard:Auth";

    /// <summary>The HS256 shared secret: its UTF-8 bytes are the key, at least 32 of them.</summary>
    public string? Secret { get; set; }

    /// <summary>RS256 (RSA, 2048 bits or more) or ES256 (EC P-256) public keys, as PEM text (<c>-----BEGIN PUBLIC KEY-----</c>, <c>RSA PUBLIC KEY</c> or <c>CERTIFICATE</c>).</summary>
    public List<string> PublicKeys { get; } = [];

    /// <summary>Files holding PEM public keys like <see cref="PublicKeys"/>; relative paths start at the content root.</summary>
    public List<string> PublicKeyFiles { get; } = [];

    /// <summary>A JSON Web Key Set file (<c>{"keys":[...]}</c>) with RSA and EC P-256 public keys; read at startup.</summary>
    public string? JwksFile { get; set; }

    /// <summary>A JSON Web Key Set given inline, as JSON text.</summary>
    public string? Jwks { get; set; }

    /// <summary>The required <c>iss</c>; null accepts any issuer.</summary>
    public string? Issuer { get; set; }

    /// <summary>The required <c>aud</c>; null accepts any audience.</summary>
    public string? Audience { get; set; }

    /// <summary>How far <c>exp</c> and <c>nbf</c> may be off, for clocks that disagree a little.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether a token without <c>exp</c> is refused (it is by default: a leaked token should not work forever).</summary>
    public bool RequireExpiration { get; set; } = true;

    /// <summary>The claim listing the channel patterns the client may subscribe to: a JSON array of strings, or one space-separated string.</summary>
    public string SubscribeClaim { get; set; } = "sub_channels";

    /// <summary>The claim listing the channel patterns the client may publish on, in the same forms as <see cref="SubscribeClaim"/>.</summary>
    public string PublishClaim { get; set; } = "pub_channels";

    /// <summary>The claim that names the user (<see cref="Switchboard.Channels.ChannelGrant.UserId"/>).</summary>
    public string UserIdClaim { get; set; } = "sub";

    /// <summary>What a client without a token may do; off unless <see cref="AnonymousAccess.Enabled"/>.</summary>
    public AnonymousAccess Anonymous { get; } = new();
}

/// <summary>
/// Access without a token. When enabled, a client without a token gets these patterns, and a client with a
/// valid token gets them in addition to its own, so a token never grants less than no token.
/// </summary>
public sealed class AnonymousAccess
{
    /// <summary>Whether clients without a token are let in at all.</summary>
    public bool Enabled { get; set; }

    /// <summary>Channel patterns (<c>*</c> any run of characters, <c>?</c> one) an anonymous client may subscribe to.</summary>
    public List<string> Subscribe { get; } = [];

    /// <summary>Channel patterns an anonymous client may publish on.</summary>
    public List<string> Publish { get; } = [];
}
