using Microsoft.Extensions.Primitives;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Engine;

/// <summary>
/// A request the Engine.IO server refused (engine.io's <c>connection_error</c> event): the request, the
/// protocol's error code and message (the ones the client gets in the 400/403 body), and what was wrong.
/// </summary>
/// <param name="Request">The refused request.</param>
/// <param name="Code">The Engine.IO error code, e.g. <see cref="EngineError.UnknownSid"/> (1).</param>
/// <param name="Message">The protocol's message for the code, e.g. "Session ID unknown".</param>
/// <param name="Context">
/// What was wrong, under engine.io's keys: <c>transport</c> (unknown transport), <c>sid</c> (unknown
/// session), <c>method</c> (bad handshake method), <c>protocol</c> (unsupported version), <c>message</c>
/// (forbidden), and for a bad request <c>name</c> (e.g. <c>TRANSPORT_MISMATCH</c>,
/// <c>TRANSPORT_HANDSHAKE_ERROR</c>, or a connection limit's code) with <c>detail</c>.
/// </param>
public sealed record EngineConnectionError(
    EngineRequest Request,
    EngineError Code,
    string Message,
    IReadOnlyDictionary<string, string> Context);

/// <summary>
/// The headers of a response the Engine.IO server is about to write (engine.io's <c>initial_headers</c>
/// and <c>headers</c> events). <see cref="Headers"/> is the response's own collection: what a handler
/// sets, replaces or removes there is what the client gets.
/// </summary>
/// <param name="Request">The request being answered.</param>
/// <param name="Headers">The response headers (case-insensitive names).</param>
/// <param name="IsInitial">Whether this is a handshake (the request carried no <c>sid</c>).</param>
public sealed record EngineHeaders(EngineRequest Request, IDictionary<string, StringValues> Headers, bool IsInitial);

public sealed partial class EngineServer
{
    /// <summary>
    /// A request was refused with an Engine.IO error (engine.io's <c>connection_error</c>): an unknown
    /// transport or session id, a bad handshake method, a bad request, a forbidden one, an unsupported
    /// protocol version. Raised before the error is written. A handler that throws is logged.
    /// </summary>
    public event Action<EngineConnectionError>? ConnectionError;

    /// <summary>
    /// The headers of a handshake response (polling or WebSocket) may be changed (engine.io's
    /// <c>initial_headers</c>), e.g. to set a cookie. Raised before <see cref="Headers"/>.
    /// </summary>
    public event Action<EngineHeaders>? InitialHeaders;

    /// <summary>
    /// The headers of every response of a successful request may be changed (engine.io's <c>headers</c>):
    /// handshakes, polls, POSTs and WebSocket upgrades; not the error responses.
    /// </summary>
    public event Action<EngineHeaders>? Headers;

    /// <summary>
    /// A new session is open (engine.io's <c>connection</c>), after the application (Socket.IO) attached
    /// to it: where to subscribe to its <see cref="EngineSession.UpgradeStarted"/> and
    /// <see cref="EngineSession.Upgraded"/> events.
    /// </summary>
    public event Action<EngineSession>? Connection;

    /// <summary>Whether a refusal needs its request built: only when someone listens.</summary>
    public bool HasConnectionErrorHandlers => ConnectionError is not null;

    /// <summary>Whether a response needs the header events raised.</summary>
    public bool HasHeaderHandlers => InitialHeaders is not null || Headers is not null;

    /// <summary>Raises <see cref="ConnectionError"/> (transports call this); a failing handler is logged.</summary>
    public void OnConnectionError(EngineConnectionError error)
    {
        try
        {
            ConnectionError?.Invoke(error);
        }
        catch (Exception ex)
        {
            Log.EventHandlerFailed("connection_error", ex);
        }
    }

    /// <summary>Raises <see cref="InitialHeaders"/> (for a handshake) then <see cref="Headers"/>; a failing handler is logged.</summary>
    public void OnHeaders(EngineHeaders headers)
    {
        if (headers.IsInitial)
        {
            Raise(InitialHeaders, headers, "initial_headers");
        }
        Raise(Headers, headers, "headers");
    }

    private void Raise(Action<EngineHeaders>? handler, EngineHeaders headers, string name)
    {
        try
        {
            handler?.Invoke(headers);
        }
        catch (Exception ex)
        {
            Log.EventHandlerFailed(name, ex);
        }
    }

    private void OnConnection(EngineSession session)
    {
        try
        {
            Connection?.Invoke(session);
        }
        catch (Exception ex)
        {
            Log.EventHandlerFailed("connection", ex);
        }
    }
}
