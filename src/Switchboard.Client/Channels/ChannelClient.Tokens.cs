using System.Buffers.Text;
using System.Text.Json;

namespace Switchboard.Client.Channels;

/// <summary>Tokens: sent with every connection, refreshed before a connect when a JWT has expired and after a 401.</summary>
public sealed partial class ChannelClient
{
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(5);
    private volatile string? _token;
    private Task<string?>? _refreshing;

    /// <summary>The token in use: <see cref="ChannelClientOptions.Token"/>, or the last one <see cref="ChannelClientOptions.RefreshToken"/> gave.</summary>
    public string? Token => _token;

    /// <summary>Asks <see cref="ChannelClientOptions.RefreshToken"/> for a new token after a refusal; true when one came.</summary>
    internal async Task<bool> RefreshAfterAsync(ChannelClientException error, CancellationToken cancellationToken)
    {
        if (Options.RefreshToken is not { } refresh)
        {
            return false;
        }
        Task<string?> task;
        lock (_gate)
        {
            // Concurrent refusals share one refresh.
            task = _refreshing ??= RefreshAsync(refresh, error, cancellationToken);
        }
        try
        {
            var token = await task.ConfigureAwait(false);
            if (string.IsNullOrEmpty(token))
            {
                return false;
            }
            _token = token;
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Logger.ChannelTokenRefreshFailed(ex);
            return false;
        }
        finally
        {
            lock (_gate)
            {
                if (_refreshing == task)
                {
                    _refreshing = null;
                }
            }
        }
    }

    private async Task<string?> RefreshAsync(Func<ChannelTokenRefreshContext, CancellationToken, ValueTask<string?>> refresh, ChannelClientException error, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Logger.ChannelTokenRefresh(error.Code);
        return await refresh(new ChannelTokenRefreshContext(error.Code, error.Message), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Before a connect: a JWT whose <c>exp</c> has passed (or is within 5 s) is refreshed first; a WebSocket refusal does not say why.</summary>
    private async Task FreshTokenAsync(CancellationToken cancellationToken)
    {
        if (JwtExpiry(_token) is { } expiry && expiry <= Options.TimeProvider.GetUtcNow() + ExpiryMargin)
        {
            await RefreshAfterAsync(new ChannelClientException("token_expired", "The token has expired."), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The <c>exp</c> of a JWT, or null (not a JWT, or no <c>exp</c>). The signature is not checked: the server does that.</summary>
    internal static DateTimeOffset? JwtExpiry(string? token)
    {
        var parts = token?.Split('.');
        if (parts is not { Length: 3 })
        {
            return null;
        }
        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.ValueKind == JsonValueKind.Object
                && payload.RootElement.TryGetProperty("exp", out var exp) && exp.ValueKind == JsonValueKind.Number
                && exp.TryGetDouble(out var seconds) && double.IsFinite(seconds) && Math.Abs(seconds) < 253402300799
                ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000))
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
