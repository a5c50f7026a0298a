using Microsoft.Extensions.Logging;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Engine;

/// <summary>What differs for an Engine.IO v3 client (<see cref="EngineOptions.AllowEIO3"/>, docs/engine-io-v3.md).</summary>
public sealed partial class EngineSession
{
    private static readonly OutboundFrame V3Pong = new("3"u8.ToArray(), false);

    /// <summary>
    /// The Engine.IO protocol revision the client speaks: 4, or 3 for a client that asked for
    /// <c>EIO=3</c> (accepted only with <see cref="EngineOptions.AllowEIO3"/>).
    /// </summary>
    public int Protocol => _protocol;

    // A byte, so that the session (one per connection) grows by no alignment step for it.
    private readonly byte _protocol;

    /// <summary>
    /// A v3 polling client without binary support (<c>b64</c> in its handshake): binary messages reach it
    /// in base64 inside text payloads.
    /// </summary>
    internal bool PollsInBase64 => Request.Query.TryGetValue("b64", out var b64) && b64.Length > 0;

    internal static byte ProtocolOf(EngineRequest request) => ProtocolOf(request.Query.GetValueOrDefault("EIO"));

    /// <summary>The revision an <c>EIO</c> query value asks for (the endpoint refuses any other than 3 and 4).</summary>
    internal static byte ProtocolOf(string? eio) => eio == "3" ? (byte)3 : (byte)4;

    /// <summary>
    /// In v3 the client pings and the server answers with a pong; each ping gives the client another
    /// ping interval + ping timeout. A pong from the client breaks the protocol, as a ping does in v4.
    /// </summary>
    private bool ReceiveV3Heartbeat(in EnginePacket packet)
    {
        if (packet.Type == EnginePacketType.Pong)
        {
            if (_server.Refusals.ShouldLog(_server.Log.Logger, "engine.io v3 pong"))
            {
                LogV3Pong(_server.Log.Logger, Id);
            }
            Close(Protocols.DisconnectCode.BadRequest);
            return false;
        }
        lock (StateLock)
        {
            if (IsClosed)
            {
                return false;
            }
            _heartbeatState = WaitingToPing;
            SchedulePing();
        }
        SendDirect(V3Pong);
        return true;
    }

    [LoggerMessage(40, LogLevel.Information, "Engine.IO session {Sid} sent a pong; in protocol v3 only the client pings")]
    private static partial void LogV3Pong(ILogger logger, string sid);
}
