using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Channels;
using Switchboard.Logging;

namespace Switchboard.AspNetCore.Auth;

/// <summary>
/// An <see cref="IChannelAuthorizer"/> that accepts JSON Web Tokens signed with the configured keys
/// (docs/auth.md) and reads the channel patterns a client may subscribe to and publish on from their
/// claims. Expired tokens are refused as <see cref="ChannelAuthFailure.Expired"/>; malformed, forged, or
/// tokens for another issuer or audience as <see cref="ChannelAuthFailure.Invalid"/>; no token as
/// <see cref="ChannelAuthFailure.Missing"/> unless anonymous access is enabled.
/// </summary>
public sealed class JwtChannelAuthorizer : IChannelAuthorizer
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TokenValidationParameters _parameters;
    private readonly JwtAuthorizerOptions _options;
    private readonly ChannelGrant? _anonymous;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>
    /// The throttle of refusal log lines (one line per kind of failure per interval); AddSwitchboardJwt
    /// sets the server's (<c>EngineOptions.RefusalLogInterval</c>). Every refusal is logged by default.
    /// </summary>
    public LogThrottle Refusals { get; init; } = LogThrottle.None;

    /// <summary>An authorizer that validates JWTs as <paramref name="options"/> say.</summary>
    /// <param name="options">Keys, issuers, audiences and the anonymous grant.</param>
    /// <param name="time">The clock tokens' lifetimes are checked against; the system clock when null.</param>
    /// <param name="logger">Where refusals and key loading problems are logged; none when null.</param>
    /// <param name="baseDirectory">Where relative key file paths start (the content root); the current directory when null.</param>
    public JwtChannelAuthorizer(JwtAuthorizerOptions options, TimeProvider? time = null, ILogger<JwtChannelAuthorizer>? logger = null, string? baseDirectory = null)
    {
        _options = options;
        _logger = logger ?? NullLogger<JwtChannelAuthorizer>.Instance;
        var keys = JwtSigningKeys.Load(options, baseDirectory);
        foreach (var skipped in keys.Skipped)
        {
            AuthLog.KeySkipped(_logger, skipped);
        }
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = keys.Keys,
            ValidAlgorithms = keys.Algorithms,
            TryAllIssuerSigningKeys = true,
            ValidateIssuer = options.Issuer is not null,
            ValidIssuer = options.Issuer,
            ValidateAudience = options.Audience is not null,
            ValidAudience = options.Audience,
            // Lifetime is checked here against the TimeProvider (the library's own clock cannot be replaced),
            // after the signature, so that a forged token is "invalid" even when its exp has passed.
            ValidateLifetime = false,
            RequireSignedTokens = true,
        };
        _time = time ?? TimeProvider.System;
        HasKeys = keys.Keys.Count > 0;
        if (options.Anonymous.Enabled)
        {
            _anonymous = new ChannelGrant([.. options.Anonymous.Subscribe], [.. options.Anonymous.Publish]);
        }
    }

    /// <summary>Whether any key is configured (without one, only anonymous access works).</summary>
    public bool HasKeys { get; }

    /// <inheritdoc/>
    public async ValueTask<ChannelAuthResult> AuthorizeAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token))
        {
            return _anonymous is { } anonymous
                ? ChannelAuthResult.Allow(anonymous)
                : Refuse(ChannelAuthFailure.Missing, "A token is required.");
        }
        if (!HasKeys)
        {
            return Refuse(ChannelAuthFailure.Invalid, "This server accepts no tokens (no signing key is configured).");
        }
        var result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            var (failure, message) = Describe(result.Exception);
            return Refuse(failure, message);
        }
        var jwt = (JsonWebToken)result.SecurityToken;
        if (CheckLifetime(jwt) is { } lifetime)
        {
            return Refuse(lifetime.Failure, lifetime.Message);
        }
        if (!JwtChannelClaims.TryRead(jwt, _options.SubscribeClaim, out var subscribe, out var problem)
            || !JwtChannelClaims.TryRead(jwt, _options.PublishClaim, out var publish, out problem))
        {
            return Refuse(ChannelAuthFailure.Invalid, problem);
        }
        jwt.TryGetPayloadValue<string>(_options.UserIdClaim, out var userId);
        if (_anonymous is { } open)
        {
            subscribe = [.. subscribe, .. open.Subscribe];
            publish = [.. publish, .. open.Publish];
        }
        return ChannelAuthResult.Allow(new ChannelGrant(subscribe, publish, userId));
    }

    private ChannelAuthResult Refuse(ChannelAuthFailure failure, string message)
    {
        if (Refusals.ShouldLog(_logger, $"token refused {failure}"))
        {
            AuthLog.TokenRefused(_logger, failure, message);
        }
        return ChannelAuthResult.Refuse(failure, message);
    }

    private (ChannelAuthFailure Failure, string Message)? CheckLifetime(JsonWebToken jwt)
    {
        var now = _time.GetUtcNow();
        var skew = _options.ClockSkew;
        if (jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Exp, out _))
        {
            // The skew comes off now: an exp past year 9999 reads as DateTime.MaxValue, which cannot take it.
            if (now - skew > new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero))
            {
                return (ChannelAuthFailure.Expired, "The token has expired.");
            }
        }
        else if (_options.RequireExpiration)
        {
            return (ChannelAuthFailure.Invalid, "The token has no expiry (exp).");
        }
        if (jwt.TryGetPayloadValue<object>(JwtRegisteredClaimNames.Nbf, out _) && now + skew < new DateTimeOffset(jwt.ValidFrom, TimeSpan.Zero))
        {
            return (ChannelAuthFailure.Invalid, "The token is not valid yet (nbf).");
        }
        return null;
    }

    /// <summary>A message for the client that says what is wrong without echoing the token or the keys.</summary>
    private static (ChannelAuthFailure, string) Describe(Exception? error) => error switch
    {
        SecurityTokenInvalidIssuerException => (ChannelAuthFailure.Invalid, "The token's issuer is not accepted."),
        SecurityTokenInvalidAudienceException => (ChannelAuthFailure.Invalid, "The token's audience is not accepted."),
        SecurityTokenInvalidAlgorithmException => (ChannelAuthFailure.Invalid, "The token's signing algorithm is not accepted."),
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
            (ChannelAuthFailure.Invalid, "The token's signature is invalid."),
        SecurityTokenMalformedException or ArgumentException => (ChannelAuthFailure.Invalid, "The token is malformed."),
        _ => (ChannelAuthFailure.Invalid, "The token is invalid."),
    };
}
