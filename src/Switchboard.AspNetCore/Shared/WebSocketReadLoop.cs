namespace Switchboard.AspNetCore.Shared;

/// <summary>How the one WebSocket read loop ended.</summary>
internal enum WebSocketReadEnd
{
    /// <summary>The handler stopped it (the connection is closing, or the client broke the protocol).</summary>
    Stopped,

    /// <summary>The client's close frame arrived.</summary>
    ClosedByClient,

    /// <summary>A message passed the size limit.</summary>
    TooLarge,

    /// <summary>The connection failed or went away (the exception is given).</summary>
    Failed,
}

/// <summary>What the one WebSocket read loop (<see cref="WebSocketReadLoop"/>) hands whole messages to, whatever the protocol.</summary>
internal interface IWebSocketInbound
{
    /// <summary>Checked before each wait: true stops the loop (<see cref="WebSocketReadEnd.Stopped"/>).</summary>
    bool StopReading { get; }

    /// <summary>Handles one whole message (valid until the next read); false stops the loop.</summary>
    ValueTask<bool> OnMessageAsync(WebSocketRead message);

    /// <summary>Whether an exception is the connection failing or going away, which ends the loop quietly.</summary>
    bool IsTransportFailure(Exception exception);

    /// <summary>The loop ended; <paramref name="error"/> is the transport failure with <see cref="WebSocketReadEnd.Failed"/>.</summary>
    Task OnReadEndedAsync(WebSocketReadEnd end, Exception? error);
}

/// <summary>
/// The one read loop of every protocol over WebSocket (Engine.IO, the plain protocol): whole messages of
/// at most the reader's limit, handed to the protocol one at a time, until the client closes, the
/// connection goes, a message is too large, or the protocol stops it. The wait for the next message is
/// awaited directly (the reader holds no buffer and no state machine of its own while idle), and the
/// end is handed to the protocol from here, so a transport can return this task rather than await it.
/// </summary>
internal static class WebSocketReadLoop
{
    public static async Task RunAsync<TInbound>(TInbound inbound, WebSocketMessageReader reader, CancellationToken cancellation)
        where TInbound : IWebSocketInbound
    {
        var end = WebSocketReadEnd.Stopped;
        Exception? error = null;
        try
        {
            while (!inbound.StopReading)
            {
                var arrived = await reader.WaitAsync(cancellation);
                var message = await reader.ReadRestAsync(arrived, cancellation);
                if (message.Kind == WebSocketReadKind.Closed)
                {
                    end = WebSocketReadEnd.ClosedByClient;
                    break;
                }
                if (message.Kind == WebSocketReadKind.TooLarge)
                {
                    end = WebSocketReadEnd.TooLarge;
                    break;
                }
                if (!await inbound.OnMessageAsync(message))
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (inbound.IsTransportFailure(ex))
        {
            end = WebSocketReadEnd.Failed;
            error = ex;
        }
        finally
        {
            // Its buffer goes back to the pool; a handler that reads on (to discard until the close) rents another.
            reader.Dispose();
        }
        await inbound.OnReadEndedAsync(end, error);
    }
}
