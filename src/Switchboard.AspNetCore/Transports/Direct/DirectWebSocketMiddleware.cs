using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.AspNetCore.Transports.Direct;

/// <summary>
/// The connection middleware of the direct mode: reads the first request of a connection off its pipe,
/// takes the WebSocket handshakes of the endpoints in <see cref="DirectEndpoints"/> that they accept, and
/// hands everything else to the next middleware (Kestrel's HTTP layer) with what it read replayed.
/// </summary>
internal sealed partial class DirectWebSocketMiddleware(ConnectionDelegate next, DirectWebSocketOptions options, IServiceProvider services, ILogger logger)
{
    private static readonly byte[] Get = "GET "u8.ToArray();

    private DirectEndpoints? _endpoints;
    private DirectHandshakePolicy? _policy;
    private Switchboard.Logging.LogThrottle? _throttle;

    private enum Decision
    {
        NeedMore,
        Pass,
        Take,
    }

    public Task OnConnectionAsync(ConnectionContext connection)
    {
        var endpoints = _endpoints ??= services.GetService<DirectEndpoints>();
        if (endpoints is null || endpoints.IsEmpty)
        {
            return next(connection);
        }
        // Reading the head is one task, and running the connection another: the first returns the second
        // instead of awaiting it, so its state does not live as long as the connection (docs/performance.md, S1).
        var inspect = InspectAsync(connection, endpoints);
        return inspect.IsCompletedSuccessfully ? inspect.Result : inspect.Unwrap();
    }

    /// <summary>Reads the first request's head and returns what runs the connection from then on.</summary>
    private async Task<Task> InspectAsync(ConnectionContext connection, DirectEndpoints endpoints)
    {
        var input = connection.Transport.Input;
        var timeout = new CancellationTokenSource(options.HandshakeTimeout);
        ReadResult read = default;
        var decision = Decision.NeedMore;
        IDirectWebSocketEndpoint? endpoint = null;
        WebSocketHandshakeRequest? request = null;
        var couldBeOurs = false;
        try
        {
            while (decision == Decision.NeedMore)
            {
                try
                {
                    read = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    if (couldBeOurs)
                    {
                        // Throttled like every refusal (Engine:RefusalLogInterval): a flood of slow heads is one line per interval.
                        if ((_throttle ??= services.GetService<Switchboard.Logging.LogThrottle>() ?? Switchboard.Logging.LogThrottle.None).ShouldLog(logger, "direct websocket handshake timeout"))
                        {
                            LogHandshakeTimedOut(logger, connection.ConnectionId, connection.RemoteEndPoint?.ToString(), options.HandshakeTimeout.TotalSeconds);
                        }
                        return Task.CompletedTask;
                    }
                    // Nothing yet, or something not ours: Kestrel's own timeouts take over.
                    if (input.TryRead(out read))
                    {
                        connection.Transport = new ReplayingDuplexPipe(connection.Transport, read);
                    }
                    break;
                }
                decision = Classify(read.Buffer, endpoints, out endpoint, out request, out var consumed, out couldBeOurs);
                if (decision == Decision.Take)
                {
                    input.AdvanceTo(read.Buffer.GetPosition(consumed));
                }
                else if (decision == Decision.Pass || read.IsCompleted || read.IsCanceled)
                {
                    connection.Transport = new ReplayingDuplexPipe(connection.Transport, read);
                    decision = Decision.Pass;
                }
                else
                {
                    input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                }
            }
        }
        finally
        {
            timeout.Dispose();
        }
        if (decision == Decision.Take)
        {
            endpoints.CountTaken();
            return endpoint!.RunDirectAsync(connection, request!, options);
        }
        return next(connection);
    }

    /// <summary>
    /// Whether the bytes so far are a handshake to take (and how long its head is), surely not one (pass), or
    /// not yet decidable; <paramref name="couldBeOurs"/> when they may still become one of the endpoints' handshakes.
    /// </summary>
    private Decision Classify(ReadOnlySequence<byte> buffer, DirectEndpoints endpoints, out IDirectWebSocketEndpoint? endpoint,
        out WebSocketHandshakeRequest? request, out long consumed, out bool couldBeOurs)
    {
        endpoint = null;
        request = null;
        consumed = 0;
        couldBeOurs = false;
        if (buffer.IsEmpty)
        {
            return Decision.NeedMore;
        }
        Span<byte> start = stackalloc byte[Get.Length];
        var prefix = (int)Math.Min(buffer.Length, Get.Length);
        buffer.Slice(0, prefix).CopyTo(start);
        if (!start[..prefix].SequenceEqual(Get.AsSpan(0, prefix)))
        {
            return Decision.Pass;
        }
        var lineEnd = buffer.PositionOf((byte)'\r');
        var line = lineEnd is { } end ? buffer.Slice(0, end) : buffer;
        if (line.Length > options.MaxHandshakeBytes)
        {
            return Decision.Pass;
        }
        if (line.Length > Get.Length)
        {
            var target = line.Slice(Get.Length);
            if (target.PositionOf((byte)' ') is { } space)
            {
                target = target.Slice(0, space);
            }
            var text = Encoding.ASCII.GetString(target);
            var path = text.AsSpan(0, text.IndexOf('?') is var q and >= 0 ? q : text.Length);
            if (!endpoints.CouldMatch(lineEnd is null ? text : path))
            {
                return Decision.Pass;
            }
            if (lineEnd is not null && endpoints.Find(path) is null)
            {
                return Decision.Pass;
            }
        }
        couldBeOurs = true;
        switch (WebSocketHandshakeRequest.TryRead(buffer, options.MaxHandshakeBytes, out request, out consumed))
        {
            case HttpRequestHeadRead.Incomplete:
                return Decision.NeedMore;
            case HttpRequestHeadRead.Complete when request!.IsWebSocketHandshake(out _):
                endpoint = endpoints.Find(request.Path);
                return endpoint is not null && endpoint.Takes(request) && (_policy ??= new DirectHandshakePolicy(services)).MayTake(request)
                    ? Decision.Take
                    : Decision.Pass;
            default:
                // Too large, unusual or not a handshake: Kestrel answers it.
                return Decision.Pass;
        }
    }

    [LoggerMessage(1300, LogLevel.Information, "Direct WebSocket: connection {ConnectionId} from {Remote} did not finish its handshake within {Seconds} s, closed")]
    private static partial void LogHandshakeTimedOut(ILogger logger, string connectionId, string? remote, double seconds);
}

/// <summary>An HTTP/1.1 answer written straight to a connection the direct mode took (a refused handshake), which then closes.</summary>
internal static class DirectResponse
{
    public static async Task WriteAsync(PipeWriter output, int status, string contentType, ReadOnlyMemory<byte> body, string? extraHeaderLines = null)
    {
        var reason = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n{extraHeaderLines}\r\n";
        output.Write(Encoding.ASCII.GetBytes(head));
        output.Write(body.Span);
        try
        {
            await output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ConnectionAbortedException or ConnectionResetException or OperationCanceledException)
        {
        }
    }
}
