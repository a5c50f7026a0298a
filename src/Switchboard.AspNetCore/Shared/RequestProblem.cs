using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchboard.AspNetCore.Shared;

/// <summary>Why a channel endpoint refuses a request: the HTTP status, and the code and message of the JSON error body.</summary>
internal readonly record struct RequestProblem(int Status, string Code, string Message)
{
    /// <summary>Logs the refusal and answers it with <see cref="ChannelRequestAuth.WriteErrorAsync"/>.</summary>
    public Task WriteAsync(HttpContext context, ILogger logger, string endpoint)
    {
        if (ChannelEndpointLog.ShouldLogRefusal(context, logger, endpoint, Status, Code))
        {
            ChannelEndpointLog.RequestRefused(logger, endpoint, Status, Code, Message, context.Connection.RemoteIpAddress?.ToString());
        }
        return ChannelRequestAuth.WriteErrorAsync(context, Status, Code, Message);
    }
}
