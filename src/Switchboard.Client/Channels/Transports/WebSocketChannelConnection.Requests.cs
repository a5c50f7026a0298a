using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;

namespace Switchboard.Client.Channels.Transports;

/// <summary>Requests and their replies, and following the client's channel set with subscribe / unsubscribe.</summary>
internal sealed partial class WebSocketChannelConnection
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    // Run by the read loop as the reply arrives, before any later push: a subscribe reply places its channel in order.
    private readonly ConcurrentDictionary<long, Action<JsonElement>> _onReply = new();
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly HashSet<string> _subscribed = new(StringComparer.Ordinal);
    private bool _running;
    private long _nextId;

    public async Task<ChannelPublishResult> PublishAsync(string channel, string? eventName, JsonElement data, bool? echo, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync("publish", writer =>
        {
            writer.WriteString("channel", channel);
            if (eventName is not null)
            {
                writer.WriteString("event", eventName);
            }
            writer.WritePropertyName("data");
            data.WriteTo(writer);
            if (echo is { } value)
            {
                writer.WriteBoolean("echo", value);
            }
        }, cancellationToken).ConfigureAwait(false);
        if (!PublicationJson.TryReadPosition(reply, out var landed, out var position))
        {
            throw new ChannelClientException("bad_response", "ws: the publish reply has no offset or epoch", Kind);
        }
        return new ChannelPublishResult(landed, position.Offset, position.Epoch);
    }

    /// <summary>Sends a request and returns its successful reply (throws its error).</summary>
    private async Task<JsonElement> RequestAsync(string op, Action<Utf8JsonWriter>? fields, CancellationToken cancellationToken)
    {
        var (id, reply) = await SendAsync(op, fields, cancellationToken).ConfigureAwait(false);
        return await ReplyAsync(id, reply, op, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request; returns once it is on the wire, with the task of its reply, so that requests leave in the order they were sent.</summary>
    private async Task<(long Id, Task<JsonElement> Reply)> SendAsync(string op, Action<Utf8JsonWriter>? fields, CancellationToken cancellationToken, Action<JsonElement>? onReply = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (onReply is not null)
        {
            _onReply[id] = onReply;
        }
        _pending[id] = reply;
        // The reply's timer starts before the send, so a fake clock advanced once the request is on the wire cannot miss it.
        var timed = reply.Task.WaitAsync(Client.Options.RequestTimeout, Client.Options.TimeProvider, cancellationToken);
        var body = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WriteString("op", op);
            fields?.Invoke(writer);
            writer.WriteEndObject();
        }
        try
        {
            if (_life.IsCancellationRequested || _ws.State != WebSocketState.Open)
            {
                throw new ChannelClientException("not_connected", "ws: not open", Kind);
            }
            await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _ws.SendAsync(body.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _send.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            Abandon(id, timed);
            throw new ChannelClientException("connection_closed", "ws: " + ex.Message, Kind, inner: ex);
        }
        catch
        {
            Abandon(id, timed);
            throw;
        }
        return (id, timed);
    }

    private void Abandon(long id, Task timed)
    {
        _pending.TryRemove(id, out _);
        _onReply.TryRemove(id, out _);
        timed.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>The reply of a sent request (already bounded by the request timeout), or its error.</summary>
    private async Task<JsonElement> ReplyAsync(long id, Task<JsonElement> timed, string op, CancellationToken cancellationToken)
    {
        JsonElement reply;
        try
        {
            reply = await timed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new ChannelClientException("timeout", $"ws: no reply to {op} within {Client.Options.RequestTimeout}", Kind);
        }
        finally
        {
            _pending.TryRemove(id, out _);
            _onReply.TryRemove(id, out _);
        }
        if (reply.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
        {
            return reply;
        }
        string code = "error", message = $"ws: {op} failed";
        if (reply.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : code;
            message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : message;
        }
        throw new ChannelClientException(code, message, Kind);
    }

    private void FailPending()
    {
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.TrySetException(new ChannelClientException("connection_closed", "ws: the connection closed before the reply", Kind));
            }
        }
    }

    public override void ChannelsChanged() => _ = SyncAsync();

    /// <summary>Subscribes to the client's new channels (each from its position) and unsubscribes from the ones it left, in one ordered batch.</summary>
    private async Task SyncAsync()
    {
        try
        {
            await _sync.WaitAsync(_life.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            List<string> subscribe = [];
            List<string> unsubscribe = [];
            lock (_subscribed)
            {
                if (!_running)
                {
                    return;
                }
                var (channels, _) = Client.Snapshot();
                var wanted = new HashSet<string>(channels, StringComparer.Ordinal);
                subscribe.AddRange(channels.Where(_subscribed.Add));
                unsubscribe.AddRange(_subscribed.Where(c => !wanted.Contains(c)));
                _subscribed.ExceptWith(unsubscribe);
            }
            foreach (var channel in unsubscribe)
            {
                var (id, reply) = await SendAsync("unsubscribe", w => w.WriteString("channel", channel), _life.Token).ConfigureAwait(false);
                _ = Observe(ReplyAsync(id, reply, "unsubscribe", _life.Token));
            }
            foreach (var channel in subscribe)
            {
                var since = Client.GetPosition(channel);
                var (id, reply) = await SendAsync("subscribe", w =>
                {
                    w.WriteString("channel", channel);
                    if (since is { } position)
                    {
                        w.WriteStartObject("since");
                        w.WriteNumber("offset", position.Offset);
                        w.WriteString("epoch", position.Epoch);
                        w.WriteEndObject();
                    }
                }, _life.Token, answer =>
                {
                    if (answer.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True && PublicationJson.TryReadPosition(answer, out _, out var position))
                    {
                        Client.Confirmed(channel, position, always: false);
                    }
                }).ConfigureAwait(false);
                _ = SubscribedAsync(channel, ReplyAsync(id, reply, "subscribe", _life.Token));
            }
        }
        catch (Exception ex) when (ex is ChannelClientException or OperationCanceledException)
        {
            // The connection is going away: the next one subscribes from the positions.
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task SubscribedAsync(string channel, Task<JsonElement> reply)
    {
        try
        {
            await reply.ConfigureAwait(false);
        }
        catch (ChannelClientException ex) when (ex.Code is not ("connection_closed" or "not_connected" or "timeout"))
        {
            lock (_subscribed)
            {
                _subscribed.Remove(channel);
            }
            Client.Refused(channel, new ChannelClientException(ex.Code, ex.Message, Kind, channel: channel));
        }
        catch (Exception ex) when (ex is ChannelClientException or OperationCanceledException)
        {
            // Connection problems: the next connection subscribes again.
        }
    }

    private static async Task Observe(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClientException or OperationCanceledException)
        {
        }
    }
}
