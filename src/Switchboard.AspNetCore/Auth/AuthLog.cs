using Microsoft.Extensions.Logging;
using Switchboard.Channels;

namespace Switchboard.AspNetCore.Auth;

internal static partial class AuthLog
{
    [LoggerMessage(400, LogLevel.Information, "Channel token refused ({Failure}): {Reason}")]
    public static partial void TokenRefused(ILogger logger, ChannelAuthFailure failure, string reason);

    [LoggerMessage(401, LogLevel.Warning, "Signing key skipped: {Reason}")]
    public static partial void KeySkipped(ILogger logger, string reason);
}
