using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Switchboard.AspNetCore.Tests.Infrastructure;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>One thing read from an event stream: an event, a comment, a <c>retry</c> field, or the end of the stream.</summary>
public sealed record SseFrame(SseFrameKind Kind, string? Event = null, string? Id = null, string Data = "", string? Comment = null, long? Retry = null)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();

    public override string ToString() => Kind switch
    {
        SseFrameKind.Event => $"event {Event} id {Id}: {Data}",
        SseFrameKind.Comment => $": {Comment}",
        SseFrameKind.Retry => $"retry {Retry}",
        _ => "<end of stream>",
    };
}

public enum SseFrameKind
{
    Event,
    Comment,
    Retry,
    End,
}

/// <summary>
/// An SSE client over HttpClient: it streams the response and parses it as the W3C EventSource does
/// (lines end at CRLF, LF or CR; one space after the colon is dropped; a blank line dispatches; data
/// lines join with LF; the last event id persists). A background loop queues every frame.
/// </summary>
public sealed class SseTestClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SseFrame> _frames = Channel.CreateUnbounded<SseFrame>();
    private readonly Task _reader;

    private SseTestClient(HttpClient http, HttpResponseMessage response)
    {
        _http = http;
        _response = response;
        _reader = Task.Run(ReadLoopAsync);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>The id of the last event received, as EventSource keeps it for <c>Last-Event-ID</c>.</summary>
    public string? LastEventId { get; private set; }

    /// <summary>The connection id from the <c>subscribed</c> event (read by <see cref="ConnectAsync"/>).</summary>
    public string ConnectionId { get; private set; } = "";

    /// <summary>The <c>subscribed</c> event's data.</summary>
    public JsonElement Subscribed { get; private set; }

    /// <summary>Sends the request and returns once the response headers arrived, whatever the status.</summary>
    public static async Task<SseTestClient> OpenAsync(Uri baseAddress, string pathAndQuery, string? token = TestChannelAuthorizer.Good, string? lastEventId = null, Version? version = null)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        if (version is not null)
        {
            request.Version = version;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Within();
        return new SseTestClient(http, response);
    }

    /// <summary>Opens a stream that must succeed; reads the <c>retry</c> field and the <c>subscribed</c> event.</summary>
    public static async Task<SseTestClient> ConnectAsync(Uri baseAddress, string pathAndQuery, string? token = TestChannelAuthorizer.Good, string? lastEventId = null, Version? version = null)
    {
        var client = await OpenAsync(baseAddress, pathAndQuery, token, lastEventId, version);
        if (client.Response.StatusCode != HttpStatusCode.OK)
        {
            var body = await client.Response.Content.ReadAsStringAsync();
            await client.DisposeAsync();
            Assert.Fail($"SSE request answered {(int)client.Response.StatusCode}: {body}");
        }
        var retry = await client.ReadAsync();
        Assert.Equal(SseFrameKind.Retry, retry.Kind);
        var subscribed = await client.NextEventAsync();
        Assert.Equal("subscribed", subscribed.Event);
        client.Subscribed = subscribed.Json;
        client.ConnectionId = client.Subscribed.GetProperty("connectionId").GetString()!;
        return client;
    }

    /// <summary>The next frame of any kind.</summary>
    public async Task<SseFrame> ReadAsync() => await _frames.Reader.ReadAsync().AsTask().Within();

    /// <summary>The next event, skipping comments (heartbeats) and retry fields; fails at the end of the stream.</summary>
    public async Task<SseFrame> NextEventAsync()
    {
        while (true)
        {
            var frame = await ReadAsync();
            Assert.True(frame.Kind != SseFrameKind.End, "The event stream ended while an event was expected.");
            if (frame.Kind == SseFrameKind.Event)
            {
                return frame;
            }
        }
    }

    /// <summary>The next event, which must be a publication (not a control event); returns its data.</summary>
    public async Task<JsonElement> NextPublicationAsync()
    {
        var frame = await NextEventAsync();
        Assert.True(frame.Event is not ("subscribed" or "discontinuity" or "close"), $"Expected a publication, got {frame}.");
        return frame.Json;
    }

    /// <summary>Reads until the stream ends; returns the events read on the way.</summary>
    public async Task<IReadOnlyList<SseFrame>> ReadToEndAsync()
    {
        var events = new List<SseFrame>();
        while (true)
        {
            var frame = await ReadAsync();
            if (frame.Kind == SseFrameKind.End)
            {
                return events;
            }
            if (frame.Kind == SseFrameKind.Event)
            {
                events.Add(frame);
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            await using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? eventName = null;
            var data = new StringBuilder();
            var hasData = false;
            await foreach (var line in ReadLinesAsync(reader))
            {
                if (line.Length == 0)
                {
                    if (hasData)
                    {
                        var text = data.ToString();
                        _frames.Writer.TryWrite(new SseFrame(SseFrameKind.Event, eventName ?? "message", LastEventId, text.EndsWith('\n') ? text[..^1] : text));
                    }
                    eventName = null;
                    data.Clear();
                    hasData = false;
                    continue;
                }
                var colon = line.IndexOf(':');
                if (colon == 0)
                {
                    _frames.Writer.TryWrite(new SseFrame(SseFrameKind.Comment, Comment: line[1..].TrimStart(' ')));
                    continue;
                }
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' '))
                {
                    value = value[1..];
                }
                switch (field)
                {
                    case "event":
                        eventName = value;
                        break;
                    case "data":
                        data.Append(value).Append('\n');
                        hasData = true;
                        break;
                    case "id" when !value.Contains('\0'):
                        LastEventId = value;
                        break;
                    case "retry":
                        _frames.Writer.TryWrite(new SseFrame(SseFrameKind.Retry, Retry: long.Parse(value, System.Globalization.CultureInfo.InvariantCulture)));
                        break;
                    default:
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            // The stream ended from our side or was cut.
        }
        finally
        {
            _frames.Writer.TryWrite(new SseFrame(SseFrameKind.End));
            _frames.Writer.TryComplete();
        }
    }

    /// <summary>Lines as SSE defines them: ended by CRLF, LF, or CR.</summary>
    private async IAsyncEnumerable<string> ReadLinesAsync(StreamReader reader)
    {
        var line = new StringBuilder();
        var buffer = new char[4096];
        var lastWasCr = false;
        int read;
        while ((read = await reader.ReadAsync(buffer, _stop.Token)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (c == '\n' && lastWasCr)
                {
                    lastWasCr = false;
                    continue;
                }
                lastWasCr = c == '\r';
                if (c is '\r' or '\n')
                {
                    yield return line.ToString();
                    line.Clear();
                }
                else
                {
                    line.Append(c);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reader.WaitAsync(Timeouts.Default);
        _http.Dispose();
        _stop.Dispose();
    }
}
