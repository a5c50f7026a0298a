using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using MessagePack;
using StackExchange.Redis;
using Switchboard.Cluster;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.Redis.Compat;

/// <summary>
/// The request channel (<c>{Key}-request#{nsp}#</c>): Node servers ask every server for its rooms and
/// sockets, make sockets join, leave or disconnect, and broadcast with acknowledgements. A node that
/// subscribes there is counted by the Node servers (PUBSUB NUMSUB), so it answers every request that
/// expects an answer from each server (docs/redis-adapter-compat.md). Server-side emits go to the
/// namespace's <see cref="Namespace.OnServerSideEmit"/> handlers as a cluster request of this node to
/// itself, whose reply <see cref="ReplyAsync"/> turns into the adapter's answer.
/// </summary>
public sealed partial class SocketIORedisAdapterBridge
{
    /// <summary>The origin of the cluster requests made on behalf of Node servers.</summary>
    private const string AdapterOrigin = "socket.io-adapter";

    private static readonly JsonWriterOptions ResponseWriterOptions = new() { Encoder = SocketJson.Options.Encoder };

    private readonly ConcurrentDictionary<string, ChannelMessageQueue?> _requestChannels = new(StringComparer.Ordinal);
    private SocketServer? _server;
    private long _nextAckId;

    private enum RequestType
    {
        Sockets = 0,
        AllRooms = 1,
        RemoteJoin = 2,
        RemoteLeave = 3,
        RemoteDisconnect = 4,
        RemoteFetch = 5,
        ServerSideEmit = 6,
        Broadcast = 7,
        BroadcastClientCount = 8,
        BroadcastAck = 9,
    }

    /// <summary>
    /// Answers Node servers' requests about this node's sockets from now on (when
    /// <see cref="SocketIORedisAdapterOptions.AnswerRequests"/>): subscribes to the request channel of each
    /// namespace that has sockets here.
    /// </summary>
    public void ServeRequests(SocketServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!_options.AnswerRequests || Interlocked.CompareExchange(ref _server, server, null) is not null)
        {
            return;
        }
        foreach (var nsp in server.Namespaces)
        {
            ServeNamespace(nsp.Name);
        }
    }

    private void ServeNamespace(string nsp)
    {
        if (_server is null || _stopping.IsCancellationRequested || !_requestChannels.TryAdd(nsp, null))
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            var channel = RedisChannel.Literal($"{_options.Key}-request#{nsp}#");
            if (await SubscribeUntilStoppedAsync(channel).ConfigureAwait(false) is { } queue)
            {
                queue.OnMessage(message => OnRequestAsync(nsp, message));
                _requestChannels[nsp] = queue;
            }
        });
    }

    private async Task UnsubscribeRequestsAsync()
    {
        foreach (var queue in _requestChannels.Values)
        {
            if (queue is not null)
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task OnRequestAsync(string nspName, StackExchange.Redis.ChannelMessage message)
    {
        try
        {
            var bytes = (byte[]?)message.Message;
            var nsp = _server?.Namespaces.FirstOrDefault(n => n.Name == nspName);
            if (bytes is not { Length: > 0 } || nsp is null)
            {
                return;
            }
            if (bytes[0] == (byte)'{')
            {
                using var document = JsonDocument.Parse(bytes);
                await OnJsonRequestAsync(nsp, document.RootElement, message.Channel.ToString()).ConfigureAwait(false);
            }
            else if (AdapterCodec.Read(new ReadOnlySequence<byte>(bytes)) is Dictionary<string, object?> request)
            {
                await OnBroadcastRequestAsync(nsp, request).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.RequestFailed(_log, message.Channel.ToString(), ex);
        }
    }

    private async Task OnJsonRequestAsync(Namespace nsp, JsonElement request, string channel)
    {
        if (!request.TryGetProperty("type", out var typeValue) || !typeValue.TryGetInt64(out var type))
        {
            return;
        }
        var requestId = request.TryGetProperty("requestId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        switch ((RequestType)type)
        {
            case RequestType.Sockets when requestId is not null:
            {
                var sockets = await nsp.Adapter.FetchSocketsAsync(LocalOptions(Strings(request, "rooms"), [])).ConfigureAwait(false);
                await RespondAsync(nsp, w =>
                {
                    w.WriteString("requestId"u8, requestId);
                    w.WriteStartArray("sockets"u8);
                    foreach (var socket in sockets)
                    {
                        w.WriteStringValue(socket.Id);
                    }
                    w.WriteEndArray();
                }).ConfigureAwait(false);
                break;
            }
            case RequestType.AllRooms when requestId is not null:
                await RespondAsync(nsp, w =>
                {
                    w.WriteString("requestId"u8, requestId);
                    w.WriteStartArray("rooms"u8);
                    foreach (var room in nsp.Adapter.Rooms)
                    {
                        w.WriteStringValue(room);
                    }
                    w.WriteEndArray();
                }).ConfigureAwait(false);
                break;
            case RequestType.RemoteJoin:
            case RequestType.RemoteLeave:
            case RequestType.RemoteDisconnect:
                await OnSocketsRequestAsync(nsp, (RequestType)type, request, requestId).ConfigureAwait(false);
                break;
            case RequestType.RemoteFetch when requestId is not null:
            {
                var opts = request.TryGetProperty("opts", out var o) ? o : default;
                var sockets = await nsp.Adapter.FetchSocketsAsync(LocalOptions(Strings(opts, "rooms"), Strings(opts, "except"))).ConfigureAwait(false);
                await RespondAsync(nsp, w =>
                {
                    w.WriteString("requestId"u8, requestId);
                    w.WriteStartArray("sockets"u8);
                    foreach (var socket in sockets)
                    {
                        if (socket.Local is { } local)
                        {
                            SocketDescription.Write(w, local);
                        }
                    }
                    w.WriteEndArray();
                }).ConfigureAwait(false);
                break;
            }
            case RequestType.ServerSideEmit:
                OnServerSideEmit(nsp, request, requestId);
                break;
            default:
                // Answers to other servers' requests are not ours.
                Log.RequestIgnored(_log, type, channel);
                break;
        }
    }

    /// <summary>socketsJoin / socketsLeave / disconnectSockets, by options (current adapters and the emitter) or by socket id (older ones).</summary>
    private async Task OnSocketsRequestAsync(Namespace nsp, RequestType type, JsonElement request, string? requestId)
    {
        if (request.TryGetProperty("opts", out var opts) && opts.ValueKind == JsonValueKind.Object)
        {
            var options = LocalOptions(Strings(opts, "rooms"), Strings(opts, "except"));
            switch (type)
            {
                case RequestType.RemoteJoin:
                    await nsp.Adapter.AddSocketsAsync(options, Strings(request, "rooms")).ConfigureAwait(false);
                    break;
                case RequestType.RemoteLeave:
                    await nsp.Adapter.DelSocketsAsync(options, Strings(request, "rooms")).ConfigureAwait(false);
                    break;
                default:
                    await nsp.Adapter.DisconnectSocketsAsync(options, request.TryGetProperty("close", out var c) && c.ValueKind == JsonValueKind.True).ConfigureAwait(false);
                    break;
            }
            return;
        }
        if (!request.TryGetProperty("sid", out var sid) || sid.ValueKind != JsonValueKind.String || !nsp.Sockets.TryGetValue(sid.GetString()!, out var socket))
        {
            return;
        }
        var room = request.TryGetProperty("room", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : null;
        switch (type)
        {
            case RequestType.RemoteJoin when room is not null:
                socket.TryJoin(room);
                break;
            case RequestType.RemoteLeave when room is not null:
                socket.Leave(room);
                break;
            case RequestType.RemoteDisconnect:
                socket.Disconnect(request.TryGetProperty("close", out var close) && close.ValueKind == JsonValueKind.True);
                break;
        }
        if (requestId is not null)
        {
            await RespondAsync(nsp, w => w.WriteString("requestId"u8, requestId)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A broadcast with acknowledgements (MessagePack <c>{uid, requestId, type: 7, packet, opts}</c>): delivered
    /// to the local targets under an ack id of this node's own, then the count of recipients is reported and
    /// each acknowledgement's first argument is sent back as it arrives.
    /// </summary>
    private async Task OnBroadcastRequestAsync(Namespace nsp, Dictionary<string, object?> request)
    {
        if (AdapterCodec.ToLong(request.GetValueOrDefault("type")) != (long)RequestType.Broadcast
            || request.GetValueOrDefault("requestId") is not string requestId
            || request.GetValueOrDefault("uid") is string uid && uid.StartsWith(UidPrefix, StringComparison.Ordinal)
            || request.GetValueOrDefault("packet") is not Dictionary<string, object?> packet
            || !AdapterCodec.TryReadPacket(packet, request.GetValueOrDefault("opts") as Dictionary<string, object?>, out var broadcast) || broadcast is null)
        {
            return;
        }
        var ackId = (3L << 40) + Interlocked.Increment(ref _nextAckId);
        var encoded = PacketEncoder.Event(nsp.Name, broadcast.EventName, [.. broadcast.Arguments], ackId);
        var responses = RedisChannel.Literal($"{_options.Key}-response#{nsp.Name}#");
        var subscriber = _redis.GetSubscriber();
        var count = await nsp.Adapter.BroadcastWithAckAsync(encoded, LocalOptions(broadcast.Rooms, broadcast.Except, broadcast.Flags), ackId, response =>
        {
            if (response is null)
            {
                return;
            }
            var buffer = new ArrayBufferWriter<byte>(64);
            var writer = new MessagePackWriter(buffer);
            writer.WriteMapHeader(3);
            writer.Write("type");
            writer.Write((int)RequestType.BroadcastAck);
            writer.Write("requestId");
            writer.Write(requestId);
            writer.Write("packet");
            if (response.Count == 0)
            {
                writer.WriteNil();
            }
            else
            {
                AdapterCodec.WriteJson(ref writer, response[0], response.Attachments);
            }
            writer.Flush();
            _ = subscriber.PublishAsync(responses, buffer.WrittenMemory.ToArray(), CommandFlags.FireAndForget);
        }).ConfigureAwait(false);
        await RespondAsync(nsp, w =>
        {
            w.WriteNumber("type"u8, (int)RequestType.BroadcastClientCount);
            w.WriteString("requestId"u8, requestId);
            w.WriteNumber("clientCount"u8, count);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>{uid, requestId?, type: 6, data: [event, ...args]}</c>: handed to this node's server as a cluster
    /// request, so the namespace's handler runs as for a Switchboard node's server-side emit.
    /// </summary>
    private void OnServerSideEmit(Namespace nsp, JsonElement request, string? requestId)
    {
        if (request.TryGetProperty("uid", out var uid) && uid.ValueKind == JsonValueKind.String && uid.GetString()!.StartsWith(UidPrefix, StringComparison.Ordinal)
            || !request.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0
            || data[0].ValueKind != JsonValueKind.String)
        {
            return;
        }
        var arguments = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(arguments, ResponseWriterOptions))
        {
            writer.WriteStartArray();
            foreach (var argument in data.EnumerateArray().Skip(1))
            {
                argument.WriteTo(writer);
            }
            writer.WriteEndArray();
        }
        var header = ClusterWire.Write(w => w.WriteString("event"u8, data[0].GetString()));
        // The reply's id says where the answer goes: "-" when the Node server expects none.
        var id = $"{nsp.Name}#{requestId ?? "-"}";
        byte[] body = [.. header, .. arguments.WrittenSpan];
        _sink!.OnRequest(new ClusterRequest(nsp.Name, id, AdapterOrigin, "server-emit", [], body));
    }

    /// <summary>A server-side emit's answer: <c>{type: 6, requestId, data}</c>, data being the handler's value.</summary>
    private async ValueTask OnAdapterReplyAsync(ClusterReply reply)
    {
        var separator = reply.Id.LastIndexOf('#');
        var nsp = reply.Id[..separator];
        var requestId = reply.Id[(separator + 1)..];
        if (requestId == "-" || reply.Kind != "done")
        {
            return;
        }
        var value = reply.Body.IsEmpty ? "null"u8.ToArray() : reply.Body.ToArray();
        try
        {
            await RespondAsync(nsp, w =>
            {
                w.WriteNumber("type"u8, (int)RequestType.ServerSideEmit);
                w.WriteString("requestId"u8, requestId);
                w.WritePropertyName("data"u8);
                w.WriteRawValue(value);
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException)
        {
            Log.MirrorFailed(_log, nsp, ex.Message);
        }
    }

    private Task RespondAsync(Namespace nsp, Action<Utf8JsonWriter> body) => RespondAsync(nsp.Name, body);

    private Task RespondAsync(string nsp, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, ResponseWriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return _redis.GetSubscriber().PublishAsync(RedisChannel.Literal($"{_options.Key}-response#{nsp}#"), buffer.WrittenMemory.ToArray());
    }

    private static BroadcastOptions LocalOptions(IReadOnlyCollection<string> rooms, IReadOnlyCollection<string> except, BroadcastFlags flags = BroadcastFlags.None) =>
        new(rooms, except, flags | BroadcastFlags.Local);

    private static string[] Strings(JsonElement parent, string property)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return [];
        }
        var values = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            switch (item.ValueKind)
            {
                case JsonValueKind.String:
                    values.Add(item.GetString()!);
                    break;
                case JsonValueKind.Number:
                    values.Add(item.GetRawText());
                    break;
            }
        }
        return [.. values];
    }
}
