using System.Net.Http.Headers;
using System.Text.Json;
using Switchboard.Client.Channels.Transports;

namespace Switchboard.Client.Channels;

/// <summary>Publishing with acknowledgement: over the plain WebSocket when it is the transport in use, else over the HTTP API with an API key.</summary>
public sealed partial class ChannelClient
{
    /// <summary>
    /// Publishes <paramref name="data"/> (serialized with web defaults; a <see cref="JsonElement"/> goes as
    /// is) as <paramref name="eventName"/> (default <c>message</c>) on <paramref name="channel"/>, and returns
    /// where it landed once the server has stored it. Goes over the plain WebSocket <c>publish</c> op when
    /// that is the transport in use (<paramref name="echo"/> false keeps it from this connection), else over
    /// <c>POST {ApiPath}/publish</c> when <see cref="ChannelClientOptions.ApiKey"/> is set. While connecting or
    /// reconnecting it waits for the connection (bounded by <paramref name="cancellationToken"/>).
    /// </summary>
    /// <exception cref="ChannelClientException">
    /// The server refused it (<c>forbidden</c>, <c>rate_limited</c>, ...); <c>publish_unavailable</c> (connected over SSE
    /// or long-poll, which are receive-only, without an API key); <c>timeout</c> (no reply within
    /// <see cref="ChannelClientOptions.RequestTimeout"/>); <c>connection_closed</c> (the WebSocket dropped before the
    /// reply: the publication may or may not have landed); <c>closed</c>.
    /// </exception>
    public async Task<ChannelPublishResult> PublishAsync(string channel, object? data, string? eventName = null, bool? echo = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        if (eventName is { Length: 0 })
        {
            throw new ArgumentException("An event name cannot be empty (null means the default, \"message\").", nameof(eventName));
        }
        var json = data is JsonElement element ? element.Clone() : JsonSerializer.SerializeToElement(data, data?.GetType() ?? typeof(object), JsonSerializerOptions.Web);
        EnsureStarted();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ChannelClientState state;
            ChannelConnection? connection;
            Task changed;
            lock (_gate)
            {
                state = _state;
                connection = _connection;
                changed = _stateChanged.Task;
            }
            if (state == ChannelClientState.Closed)
            {
                throw CloseError ?? Closed();
            }
            if (state == ChannelClientState.Connected && connection is WebSocketChannelConnection ws)
            {
                return await ws.PublishAsync(channel, eventName, json, echo, cancellationToken).ConfigureAwait(false);
            }
            if (Options.ApiKey is not null)
            {
                return await PublishOverApiAsync(channel, eventName, json, cancellationToken).ConfigureAwait(false);
            }
            if (state == ChannelClientState.Connected)
            {
                throw new ChannelClientException("publish_unavailable",
                    $"Publishing needs the plain WebSocket transport or an API key (transport in use: {connection?.Kind}).", connection?.Kind);
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<ChannelPublishResult> PublishOverApiAsync(string channel, string? eventName, JsonElement data, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("channel", channel);
            if (eventName is not null)
            {
                writer.WriteString("event", eventName);
            }
            writer.WritePropertyName("data");
            data.WriteTo(writer);
            writer.WriteEndObject();
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Server, Options.ApiPath.TrimEnd('/') + "/publish"))
        {
            Content = new ByteArrayContent(body.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Add("X-Api-Key", Options.ApiKey);
        using var timeout = new CancellationTokenSource(Options.RequestTimeout, Options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ChannelClientException("timeout", $"api: no answer to publish within {Options.RequestTimeout}");
        }
        catch (HttpRequestException ex)
        {
            throw new ChannelClientException("transport_failed", "api: " + ex.Message, inner: ex);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await HttpRefusal.ReadAsync(response, null, cancellationToken).ConfigureAwait(false);
            }
            try
            {
                using var answer = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false));
                var result = answer.RootElement.GetProperty("results").GetProperty(channel);
                return new ChannelPublishResult(channel, result.GetProperty("offset").GetInt64(), result.GetProperty("epoch").GetString()!);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new ChannelClientException("bad_response", "api: the publish answer could not be read: " + ex.Message, inner: ex);
            }
        }
    }
}
