using System.Text;
using System.Text.Json;

namespace Switchboard.Client.Channels.Transports;

/// <summary>
/// Server-Sent Events (docs/protocols/sse.md) read over an HTTP response stream: one stream names all the
/// channels, so a change of the channel set reopens it with the cursor of every channel's position.
/// </summary>
internal sealed class ServerSentEventsChannelConnection(ChannelClient client) : ChannelConnection(client)
{
    private readonly CancellationTokenSource _life = new();
    private readonly object _lock = new();
    private CancellationTokenSource _stream = new();
    private int _streamVersion = -1;
    private HttpResponseMessage? _response;
    private StreamReader? _reader;
    private EventStreamParser _parser = new();

    public override ChannelTransport Kind => ChannelTransport.ServerSentEvents;

    public override Task OpenAsync(CancellationToken cancellationToken) => StartAsync(cancellationToken);

    public override void ChannelsChanged()
    {
        CancellationTokenSource stream;
        lock (_lock)
        {
            stream = _stream;
        }
        stream.Cancel();
    }

    /// <summary>Opens a stream over the client's channels and reads it up to its <c>subscribed</c> event.</summary>
    private async Task StartAsync(CancellationToken cancellationToken)
    {
        CloseStream();
        var stream = CancellationTokenSource.CreateLinkedTokenSource(_life.Token);
        var (channels, version) = Client.Snapshot();
        CancellationTokenSource previous;
        lock (_lock)
        {
            previous = _stream;
            _stream = stream;
            _streamVersion = version;
        }
        previous.Dispose();
        if (channels.Length == 0)
        {
            return;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stream.Token);
        var cursor = await StreamStartAsync(channels, ProbeAsync, linked.Token).ConfigureAwait(false);
        var (response, reader) = await OpenStreamAsync(channels, cursor, linked.Token).ConfigureAwait(false);
        _response = response;
        _reader = reader;
        _parser = new EventStreamParser();
        while (true)
        {
            var e = await NextEventAsync(null, linked.Token).ConfigureAwait(false)
                ?? throw new ChannelClientException("transport_failed", "sse: the stream ended before its subscribed event", Kind) { Fallback = true };
            if (e.Event == "subscribed")
            {
                using var subscribed = Parse(e.Data);
                if (subscribed is null)
                {
                    throw new ChannelClientException("bad_response", "sse: the subscribed event could not be read", Kind) { Fallback = true };
                }
                var root = subscribed.RootElement;
                ConnectionId = root.TryGetProperty("connectionId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                if (root.TryGetProperty("channels", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in list.EnumerateArray())
                    {
                        if (PublicationJson.TryReadPosition(item, out var channel, out var position))
                        {
                            Client.Confirmed(channel, position, always: false);
                        }
                    }
                }
                return;
            }
            if (e.Event == "close" && Parse(e.Data) is { } close)
            {
                // A draining server answers a new stream with close and the end: wait and start over (another node may take it).
                using (close)
                {
                    var (code, reason, reconnect) = PublicationJson.ReadClose(close.RootElement);
                    throw new ChannelClientException(code, "sse: " + (reason ?? code), Kind) { Fatal = !reconnect };
                }
            }
        }
    }

    private async Task<(HttpResponseMessage, StreamReader)> OpenStreamAsync(string[] channels, string? cursor, CancellationToken cancellationToken)
    {
        var uri = Client.Endpoint(Client.Options.ServerSentEventsPath, channels, cursor is null ? null : [new("lastEventId", cursor)]);
        using var request = Client.Get(uri, "text/event-stream");
        var response = await Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await HttpRefusal.ReadAsync(response, Kind, cancellationToken).ConfigureAwait(false);
            }
            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                throw new ChannelClientException("transport_failed", $"sse: the answer is {response.Content.Headers.ContentType?.MediaType ?? "untyped"}, not text/event-stream", Kind, (int)response.StatusCode) { Fallback = true };
            }
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return (response, new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>A short stream without a cursor: its <c>subscribed</c> event holds the channels' current positions.</summary>
    private async Task<ChannelPosition[]> ProbeAsync(string[] channels, CancellationToken cancellationToken)
    {
        var (response, reader) = await OpenStreamAsync(channels, null, cancellationToken).ConfigureAwait(false);
        using (response)
        using (reader)
        {
            var parser = new EventStreamParser();
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (parser.Line(line) is { Event: "subscribed" } e && Parse(e.Data) is { } subscribed)
                {
                    using (subscribed)
                    {
                        var positions = new Dictionary<string, ChannelPosition>(StringComparer.Ordinal);
                        if (subscribed.RootElement.TryGetProperty("channels", out var list) && list.ValueKind == JsonValueKind.Array)
                        {
                            foreach (var item in list.EnumerateArray())
                            {
                                if (PublicationJson.TryReadPosition(item, out var channel, out var position))
                                {
                                    positions[channel] = position;
                                }
                            }
                        }
                        return [.. channels.Select(c => positions.TryGetValue(c, out var p) ? p
                            : throw new ChannelClientException("bad_response", $"sse: no position for '{c}' in subscribed", Kind))];
                    }
                }
            }
        }
        throw new ChannelClientException("transport_failed", "sse: the probe ended before its subscribed event", Kind) { Fallback = true };
    }

    public override async Task<ConnectionEnd> RunAsync(CancellationToken cancellationToken)
    {
        using var life = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _life.Token);
        (string Code, string? Reason, bool Reconnect)? closing = null;
        while (true)
        {
            CancellationTokenSource stream;
            int version;
            lock (_lock)
            {
                stream = _stream;
                version = _streamVersion;
            }
            // One idle timer per stream: a stream reopened after a quiet spell starts afresh.
            using var idle = new CancellationTokenSource(Client.Options.ServerSentEventsIdleTimeout, Client.Options.TimeProvider);
            try
            {
                if (version != Client.Version)
                {
                    await StartAsync(life.Token).ConfigureAwait(false);
                    continue;
                }
                if (_reader is null)
                {
                    // No channel: nothing to stream until one is subscribed.
                    await Task.Delay(Timeout.InfiniteTimeSpan, stream.Token).WaitAsync(life.Token).ConfigureAwait(false);
                    continue;
                }
                using var read = CancellationTokenSource.CreateLinkedTokenSource(life.Token, stream.Token, idle.Token);
                while (true)
                {
                    var e = await NextEventAsync(idle, read.Token).ConfigureAwait(false);
                    if (e is null)
                    {
                        return new ConnectionEnd(closing?.Code ?? "connection_lost", closing?.Reason ?? "the stream ended", closing?.Reconnect ?? true);
                    }
                    closing = await HandleAsync(e, read.Token).ConfigureAwait(false) ?? closing;
                }
            }
            catch (OperationCanceledException) when (life.IsCancellationRequested)
            {
                return new ConnectionEnd("closed", null, Reconnect: false);
            }
            catch (OperationCanceledException) when (idle.IsCancellationRequested)
            {
                return new ConnectionEnd("idle_timeout", $"no data for {Client.Options.ServerSentEventsIdleTimeout}", Reconnect: true);
            }
            catch (OperationCanceledException)
            {
                // The channel set changed (this stream's, or a newer one's token): the next turn reopens the stream.
            }
            catch (ChannelClientException ex)
            {
                // A 401 here (a token that expired before a reopen) reconnects: the connect refreshes the token.
                return new ConnectionEnd(ex.Code, ex.Message, !ex.Fatal, ex.Fatal ? ex : null);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or ObjectDisposedException)
            {
                return new ConnectionEnd("connection_lost", ex.Message, Reconnect: true);
            }
        }
    }

    private async Task<ServerSentEvent?> NextEventAsync(CancellationTokenSource? idle, CancellationToken cancellationToken)
    {
        while (true)
        {
            idle?.CancelAfter(Client.Options.ServerSentEventsIdleTimeout);
            var line = await _reader!.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }
            if (_parser.Line(line) is { } e)
            {
                return e;
            }
        }
    }

    private async ValueTask<(string, string?, bool)?> HandleAsync(ServerSentEvent e, CancellationToken cancellationToken)
    {
        using var data = Parse(e.Data);
        if (data is null)
        {
            return null;
        }
        var root = data.RootElement;
        switch (e.Event)
        {
            case "subscribed":
                return null;
            case "close":
                return PublicationJson.ReadClose(root);
            case "discontinuity":
                if (PublicationJson.TryReadPosition(root, out var channel, out var position))
                {
                    await Client.DiscontinuityAsync(channel, position, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    Client.Logger.ChannelBadFrame(Kind, "a discontinuity without channel, offset or epoch");
                }
                return null;
            default:
                if (PublicationJson.TryRead(root, out channel, out position, out var eventName, out var value))
                {
                    await Client.DeliverAsync(channel, position, eventName, value, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    Client.Logger.ChannelBadFrame(Kind, $"an event '{e.Event}' that is not a publication");
                }
                return null;
        }
    }

    private JsonDocument? Parse(string data)
    {
        try
        {
            var document = JsonDocument.Parse(data);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }
            document.Dispose();
            Client.Logger.ChannelBadFrame(Kind, "an event whose data is not a JSON object");
        }
        catch (JsonException ex)
        {
            Client.Logger.ChannelBadFrame(Kind, "malformed JSON: " + ex.Message);
        }
        return null;
    }

    private void CloseStream()
    {
        _reader?.Dispose();
        _reader = null;
        _response?.Dispose();
        _response = null;
    }

    public override ValueTask DisposeAsync()
    {
        _life.Cancel();
        CloseStream();
        lock (_lock)
        {
            _stream.Dispose();
        }
        _life.Dispose();
        return ValueTask.CompletedTask;
    }
}
