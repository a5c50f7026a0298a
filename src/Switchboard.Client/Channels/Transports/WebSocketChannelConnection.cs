using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;

namespace Switchboard.Client.Channels.Transports;

/// <summary>
/// The plain WebSocket protocol (docs/protocols/websocket.md): one JSON object per text message; requests
/// carry an id and get one reply each, in order; pushes (<c>pub</c>, <c>discontinuity</c>, <c>close</c>) have a <c>type</c>.
/// </summary>
internal sealed partial class WebSocketChannelConnection(ChannelClient client) : ChannelConnection(client)
{
    private const string SubProtocol = "switchboard.v1";
    private const int MaxMessageBytes = 16 << 20;
    private readonly ClientWebSocket _ws = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly CancellationTokenSource _life = new();
    private string? _failure;
    private (string Code, string? Reason, bool Reconnect)? _closing;

    public override ChannelTransport Kind => ChannelTransport.WebSocket;

    public override async Task OpenAsync(CancellationToken cancellationToken)
    {
        var options = _ws.Options;
        options.AddSubProtocol(SubProtocol);
        options.CollectHttpResponseDetails = true;
        if (Client.Token is { } token && !Client.Options.TokenInQuery)
        {
            options.SetRequestHeader("Authorization", "Bearer " + token);
        }
        Client.Options.ConfigureWebSocket?.Invoke(options);
        var uri = Client.Endpoint(Client.Options.WebSocketPath, [], webSocket: true);
        try
        {
            await _ws.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var status = (int)_ws.HttpStatusCode;
            if (status is 0 or 101)
            {
                throw new ChannelClientException("transport_failed", "ws: " + ex.Message, Kind, inner: ex) { Fallback = true };
            }
            // A .NET WebSocket does not expose the refusal's body: the status has to do.
            throw HttpRefusal.Create(status == 401 ? "unauthorized" : $"http_{status}", $"ws: the handshake was refused with HTTP {status}", status, Kind, RetryAfter());
        }
        var welcome = await ReceiveAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new ChannelClientException("transport_failed", $"ws: closed before the welcome ({_ws.CloseStatus})", Kind) { Fallback = true };
        using var frame = Parse(welcome);
        if (frame?.RootElement.TryGetProperty("type", out var type) != true || type.ValueKind != JsonValueKind.String || type.GetString() != "welcome")
        {
            throw new ChannelClientException("transport_failed", "ws: the first message is not a welcome", Kind) { Fallback = true };
        }
        ConnectionId = frame.RootElement.TryGetProperty("connectionId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
    }

    public override async Task<ConnectionEnd> RunAsync(CancellationToken cancellationToken)
    {
        using var life = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _life.Token);
        lock (_subscribed)
        {
            _running = true;
        }
        ChannelsChanged();
        var pinger = PingLoopAsync(life.Token);
        ConnectionEnd end;
        try
        {
            while (true)
            {
                var message = await ReceiveAsync(life.Token).ConfigureAwait(false);
                if (message is null)
                {
                    end = Closed();
                    break;
                }
                await HandleAsync(message.Value, life.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
        {
            end = new ConnectionEnd(_failure ?? "connection_lost", ex is OperationCanceledException ? null : ex.Message, Reconnect: true);
        }
        catch (ChannelClientException ex)
        {
            end = new ConnectionEnd(ex.Code, ex.Message, Reconnect: true);
        }
        finally
        {
            await _life.CancelAsync().ConfigureAwait(false);
            FailPending();
        }
        await pinger.ConfigureAwait(false);
        return end;
    }

    private ConnectionEnd Closed()
    {
        var status = (int?)_ws.CloseStatus ?? 1005;
        var noReconnect = _closing?.Reconnect == false || status is >= 4500 and <= 4999;
        return new ConnectionEnd(_closing?.Code ?? $"ws_{status}", _closing?.Reason ?? _ws.CloseStatusDescription, !noReconnect);
    }

    /// <summary>One whole text message, or null when the server closed. A binary message (the server never sends one) is logged and skipped.</summary>
    private async Task<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        while (true)
        {
            var result = await _ws.ReceiveAsync(_buffer.GetMemory(4096), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            _buffer.Advance(result.Count);
            if (_buffer.WrittenCount > MaxMessageBytes)
            {
                Client.Logger.ChannelBadFrame(Kind, $"a message over {MaxMessageBytes} bytes");
                throw new ChannelClientException("bad_response", $"ws: the server sent a message over {MaxMessageBytes} bytes", Kind);
            }
            if (!result.EndOfMessage)
            {
                continue;
            }
            if (result.MessageType == WebSocketMessageType.Binary)
            {
                Client.Logger.ChannelBadFrame(Kind, "a binary message");
                _buffer.ResetWrittenCount();
                continue;
            }
            return _buffer.WrittenMemory;
        }
    }

    private JsonDocument? Parse(ReadOnlyMemory<byte> message)
    {
        try
        {
            var document = JsonDocument.Parse(message);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }
            document.Dispose();
            Client.Logger.ChannelBadFrame(Kind, "a message that is not a JSON object");
        }
        catch (JsonException ex)
        {
            Client.Logger.ChannelBadFrame(Kind, "malformed JSON: " + ex.Message);
        }
        return null;
    }

    private async ValueTask HandleAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        using var frame = Parse(message);
        if (frame is null)
        {
            return;
        }
        var root = frame.RootElement;
        if (root.TryGetProperty("type", out var type))
        {
            switch (type.ValueKind == JsonValueKind.String ? type.GetString() : null)
            {
                case "pub":
                    if (PublicationJson.TryRead(root, out var channel, out var position, out var eventName, out var data))
                    {
                        await Client.DeliverAsync(channel, position, eventName, data, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        Client.Logger.ChannelBadFrame(Kind, "a pub without channel, offset or epoch");
                    }
                    break;
                case "discontinuity":
                    if (PublicationJson.TryReadPosition(root, out channel, out position))
                    {
                        await Client.DiscontinuityAsync(channel, position, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        Client.Logger.ChannelBadFrame(Kind, "a discontinuity without channel, offset or epoch");
                    }
                    break;
                case "close":
                    _closing = PublicationJson.ReadClose(root);
                    break;
            }
            return;
        }
        if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var number))
        {
            if (_onReply.TryRemove(number, out var onReply))
            {
                onReply(root);
            }
            if (_pending.TryRemove(number, out var pending))
            {
                pending.TrySetResult(root.Clone());
            }
        }
    }

    private TimeSpan? RetryAfter() =>
        _ws.HttpResponseHeaders is { } headers && headers.TryGetValue("Retry-After", out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private async Task PingLoopAsync(CancellationToken cancellationToken)
    {
        var interval = Client.Options.PingInterval;
        if (interval == TimeSpan.Zero)
        {
            return;
        }
        try
        {
            while (true)
            {
                await Task.Delay(interval, Client.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
                await RequestAsync("ping", null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ChannelClientException ex) when (ex.Code == "timeout")
        {
            // The server's own pings are answered by the WebSocket itself; this notices a server that stopped answering.
            _failure = "ping_timeout";
            _ws.Abort();
        }
        catch (Exception ex) when (ex is ChannelClientException or OperationCanceledException)
        {
            // The connection is going away anyway.
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _life.CancelAsync().ConfigureAwait(false);
        FailPending();
        if (_ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
            {
            }
        }
        _ws.Dispose();
        _life.Dispose();
    }
}
