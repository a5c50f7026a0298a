using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Switchboard.AspNetCore.Transports.Direct;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.WebSockets;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>Engine.IO over the direct mode's socket (<see cref="PipeWebSocket"/>), on the connection's own pipe.</summary>
internal sealed partial class WebSocketTransport
{
    /// <summary>
    /// A new WebSocket-only session on a connection the direct mode took: the 101 and the open packet go out
    /// in one write, then the session runs as any other (the same read and write loops). When that write
    /// completes at once, the write loop's task is returned as it is: no state machine of this method lives
    /// as long as the connection (the socket needs no disposing: the connection ends with the task).
    /// </summary>
    public Task HandshakeDirectAsync(ConnectionContext connection, string key, EngineRequest request)
    {
        var socket = new PipeWebSocket(connection, server.Options.MaxPayload);
        var session = server.Open(EngineTransportKind.WebSocket, request);
        var handshake = new EngineHandshake(session.Id, false,
            (int)server.Options.PingInterval.TotalMilliseconds, (int)server.Options.PingTimeout.TotalMilliseconds, server.Options.MaxPayload);
        var output = connection.Transport.Output;
        WebSocketHandshakeRequest.WriteAccept(output, key);
        WebSocketFrameHeader.WriteFrame(output, WebSocketOpcode.Text, handshake.EncodeOpenPacket());
        ValueTask<System.IO.Pipelines.FlushResult> flush;
        try
        {
            flush = output.FlushAsync();
        }
        catch (Exception ex) when (IsHandshakeFailure(ex))
        {
            session.Close(DisconnectCode.ClientClosed);
            return Task.CompletedTask;
        }
        if (flush.IsCompletedSuccessfully)
        {
            if (flush.Result.IsCompleted)
            {
                session.Close(DisconnectCode.ClientClosed);
                return Task.CompletedTask;
            }
            return RunAsync(null, socket, socket, session);
        }
        return RunAfterFlushAsync(flush, socket, session);
    }

    private async Task RunAfterFlushAsync(ValueTask<System.IO.Pipelines.FlushResult> flush, PipeWebSocket socket, EngineSession session)
    {
        try
        {
            if ((await flush.ConfigureAwait(false)).IsCompleted)
            {
                session.Close(DisconnectCode.ClientClosed);
                return;
            }
        }
        catch (Exception ex) when (IsHandshakeFailure(ex))
        {
            session.Close(DisconnectCode.ClientClosed);
            return;
        }
        await RunAsync(null, socket, socket, session).ConfigureAwait(false);
    }

    private static bool IsHandshakeFailure(Exception ex) =>
        ex is IOException or ConnectionAbortedException or ConnectionResetException or OperationCanceledException;

    /// <summary>The direct socket failed the client (1002, 1007, 1009): logged, and the session closes as a transport error.</summary>
    private bool OnProtocolViolation(EngineSession session, WebSocket socket)
    {
        if (socket is not PipeWebSocket { ProtocolViolation: { } violation } pipe)
        {
            return false;
        }
        if (server.Refusals.ShouldLog(logger, "engine.io websocket " + violation))
        {
            LogProtocolViolation(logger, session.Id, (int?)pipe.CloseStatus ?? 0, violation);
        }
        session.Close(DisconnectCode.TooLarge);
        return true;
    }

    [LoggerMessage(34, LogLevel.Information, "Engine.IO session {Sid}: WebSocket closed with {Code}: {Violation}")]
    private static partial void LogProtocolViolation(ILogger logger, string sid, int code, string violation);
}
