namespace Switchboard.Engine;

public sealed partial class EngineSession
{
    /// <summary>
    /// A WebSocket probed this polling session and the upgrade began (engine.io's <c>upgrading</c>): the
    /// argument is the transport being upgraded to. A failing handler is logged.
    /// </summary>
    public event Action<EngineSession, EngineTransportKind>? UpgradeStarted;

    /// <summary>
    /// The upgrade completed: the session now runs over the transport given (engine.io's <c>upgrade</c>).
    /// A failing handler is logged.
    /// </summary>
    public event Action<EngineSession, EngineTransportKind>? Upgraded;

    private void RaiseUpgradeEvent(Action<EngineSession, EngineTransportKind>? handler, string name)
    {
        try
        {
            handler?.Invoke(this, EngineTransportKind.WebSocket);
        }
        catch (Exception ex)
        {
            _server.Log.EventHandlerFailed(name, ex);
        }
    }
}
