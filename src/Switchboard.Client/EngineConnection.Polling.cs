using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Client;

/// <summary>
/// The HTTP long-polling transport and the upgrade to WebSocket. A GET loop receives payloads (packets
/// joined by 0x1E, binary ones as <c>b</c> + base64), a POST loop sends whatever is queued as one payload.
/// The upgrade probes a WebSocket with the same sid (<c>2probe</c> / <c>3probe</c>), stops issuing
/// requests, waits for the POST in flight, sends <c>5</c>, lets the last GET return, and hands the queue
/// to the WebSocket: nothing queued meanwhile is lost, and nothing is received out of order.
/// </summary>
internal sealed partial class EngineConnection
{
    private readonly SemaphoreSlim _postGate = new(1, 1);
    private HttpClient? _http;
    private Uri? _server;
    private Uri? _pollUri;
    private ClientWebSocket? _probe;
    private Task? _pollLoop;
    private volatile bool _pollPaused;
    private volatile bool _upgraded;
    private IReadOnlyList<EnginePacket> _initial = [];

    /// <summary>Raised once the session moved from polling to WebSocket.</summary>
    public Action? Upgraded { get; set; }

    private static HttpClient NewHttpClient(SocketIOClientOptions options)
    {
        // Cookies are kept: a load balancer's sticky-session cookie must come back with every poll.
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer() })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (options.Headers is not null)
        {
            foreach (var (name, value) in options.Headers)
            {
                http.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
            }
        }
        return http;
    }

    private static async Task<EngineConnection> OpenPollingAsync(Uri server, SocketIOClientOptions options, CancellationToken cancellationToken)
    {
        var http = NewHttpClient(options);
        try
        {
            using var response = await http.GetAsync(EngineUri(server, options, ClientTransport.Polling), cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var packets = new List<EnginePacket>();
            if (!EngineCodec.TryParsePayload(body, packets) || packets[0].Type != EnginePacketType.Open)
            {
                throw new HttpRequestException("The server did not start with an Engine.IO open packet.");
            }
            var handshake = ParseOpen(packets[0].Data);
            return new EngineConnection(options, handshake)
            {
                _http = http,
                _server = server,
                _pollUri = EngineUri(server, options, ClientTransport.Polling, handshake.Sid),
                _initial = packets[1..],
            };
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    private void StartPolling()
    {
        _pollLoop = Task.Run(PollAsync);
        _ = Task.Run(PostAsync);
        if (CanUpgrade && _options.Upgrade)
        {
            _ = Task.Run(UpgradeAsync);
        }
    }

    private async Task PollAsync()
    {
        var packets = new List<EnginePacket>(_initial);
        try
        {
            while (true)
            {
                foreach (var packet in packets)
                {
                    if (_pollPaused && packet.Type == EnginePacketType.Close)
                    {
                        // Node closes the polling transport it upgraded from with a close packet on the poll
                        // that raced with the upgrade: that ends the old transport, not the session.
                        return;
                    }
                    if (!Handle(packet))
                    {
                        return;
                    }
                }
                packets.Clear();
                if (_pollPaused || Volatile.Read(ref _closing) != 0)
                {
                    return;
                }
                using var response = await _http!.GetAsync(_pollUri, _stopping.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    // During an upgrade a server may refuse the poll that raced with it (Switchboard answers 400 once upgraded).
                    if (!_pollPaused)
                    {
                        Close(DisconnectReason.TransportError);
                    }
                    return;
                }
                var body = await response.Content.ReadAsByteArrayAsync(_stopping.Token).ConfigureAwait(false);
                if (body.Length > _options.MaxMessageBytes || !EngineCodec.TryParsePayload(body, packets))
                {
                    _logger.ParseError(body.Length > _options.MaxMessageBytes ? $"a payload larger than {_options.MaxMessageBytes} bytes" : "not an Engine.IO polling payload");
                    Close(DisconnectReason.ParseError);
                    return;
                }
            }
        }
        catch (Exception) when (Volatile.Read(ref _closing) != 0 || _pollPaused)
        {
        }
        catch (Exception)
        {
            Close(DisconnectReason.TransportError);
        }
    }

    private async Task PostAsync()
    {
        var payload = new ArrayBufferWriter<byte>(1024);
        try
        {
            while (await _outbound.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                await _postGate.WaitAsync(_stopping.Token).ConfigureAwait(false);
                try
                {
                    if (_upgraded)
                    {
                        return; // The WebSocket drains the queue now.
                    }
                    payload.ResetWrittenCount();
                    var first = true;
                    while (_outbound.Reader.TryRead(out var message))
                    {
                        EngineCodec.WritePayloadRecord(payload, message.Data.Span, message.IsBinary, first);
                        first = false;
                    }
                    if (first)
                    {
                        continue;
                    }
                    using var content = new ReadOnlyMemoryContent(payload.WrittenMemory);
                    content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "UTF-8" };
                    using var response = await _http!.PostAsync(_pollUri, content, _stopping.Token).ConfigureAwait(false);
                    if (!response.IsSuccessStatusCode)
                    {
                        Close(DisconnectReason.TransportError);
                        return;
                    }
                }
                finally
                {
                    _postGate.Release();
                }
            }
        }
        catch (Exception) when (Volatile.Read(ref _closing) != 0)
        {
        }
        catch (Exception)
        {
            Close(DisconnectReason.TransportError);
        }
    }

    private async Task UpgradeAsync()
    {
        var probe = NewWebSocket(_options);
        _probe = probe;
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, timeout.Token);
        try
        {
            await probe.ConnectAsync(EngineUri(_server!, _options, ClientTransport.WebSocket, Sid), linked.Token).ConfigureAwait(false);
            await probe.SendAsync("2probe"u8.ToArray(), WebSocketMessageType.Text, true, linked.Token).ConfigureAwait(false);
            var answer = new ArrayBufferWriter<byte>(16);
            var type = await ReceiveMessageAsync(probe, answer, 1024, linked.Token).ConfigureAwait(false);
            if (type != WebSocketMessageType.Text || !answer.WrittenSpan.SequenceEqual("3probe"u8))
            {
                _logger.UpgradeFailed(Sid, null);
                probe.Abort();
                return; // Stay on polling.
            }

            _pollPaused = true;
            await _postGate.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                if (Volatile.Read(ref _closing) != 0)
                {
                    return;
                }
                await probe.SendAsync("5"u8.ToArray(), WebSocketMessageType.Text, true, linked.Token).ConfigureAwait(false);
                _webSocket = probe;
                _upgraded = true;
            }
            finally
            {
                _postGate.Release();
            }
            // Whatever the last poll brings is older than anything on the WebSocket: handle it first.
            await _pollLoop!.WaitAsync(linked.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (Volatile.Read(ref _closing) != 0)
            {
                return;
            }
            StartWebSocket(probe);
            _logger.EngineUpgraded(Sid);
            Upgraded?.Invoke();
        }
        catch (Exception) when (Volatile.Read(ref _closing) != 0)
        {
        }
        catch (Exception ex)
        {
            _logger.UpgradeFailed(Sid, ex);
            probe.Abort();
            if (_pollPaused)
            {
                // Polling already stopped for this upgrade: the session cannot go on.
                Close(DisconnectReason.TransportError);
            }
        }
    }
}
