using Switchboard.Protocols.EngineIO;

namespace Switchboard.Engine;

/// <summary>
/// What sits on top of an Engine.IO session (the Socket.IO client, or a bare Engine.IO application).
/// Calls for one session never overlap.
/// </summary>
public interface IEngineSessionHandler
{
    /// <summary>A message packet arrived (text or binary). Runs before the transport reads on.</summary>
    void OnMessage(EngineSession session, EnginePacket packet);

    /// <summary>
    /// The session is closed; it will deliver nothing more. <paramref name="code"/> says why, as a row of
    /// the one table of disconnect codes (docs/disconnect-reasons.md).
    /// </summary>
    void OnClose(EngineSession session, Protocols.DisconnectCode code);
}
