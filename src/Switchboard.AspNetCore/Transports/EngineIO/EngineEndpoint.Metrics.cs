using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.AspNetCore.Transports.EngineIO;

internal sealed partial class EngineEndpoint
{
    /// <summary>A refused request without a session id was a handshake: counted as a failed one (docs/metrics.md).</summary>
    private void CountRefusedHandshake(HttpContext context, EngineError error)
    {
        if (server.Metrics is not { } metrics || !StringValues.IsNullOrEmpty(context.Request.Query["sid"]))
        {
            return;
        }
        // Only the two known transports: a client's text never becomes an attribute value.
        var transport = context.Request.Query["transport"] == "websocket" ? "websocket" : context.Request.Query["transport"] == "polling" ? "polling" : "unknown";
        metrics.HandshakeRefused(server.PollingTags.Protocol, transport, error switch
        {
            EngineError.UnknownTransport => "unknown_transport",
            EngineError.BadHandshakeMethod => "bad_handshake_method",
            EngineError.Forbidden => "forbidden",
            EngineError.UnsupportedProtocolVersion => "unsupported_protocol_version",
            _ => "bad_request",
        });
    }
}
