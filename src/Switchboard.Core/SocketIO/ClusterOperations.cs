using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Protocols.SocketIO;
using Switchboard.Cluster;

namespace Switchboard.SocketIO;

/// <summary>
/// Cluster-wide operations (docs/cluster.md, "Requests"): the asking side, which sends a request to the
/// nodes with members of the targeted rooms and gathers their replies, and the answering side, which
/// performs the request on its local sockets. A node that does not answer within
/// <see cref="SocketServerOptions.ClusterRequestTimeout"/> fails the operation with a <see cref="TimeoutException"/>;
/// dead nodes are not asked (their lease ran out).
/// </summary>
internal sealed class ClusterOperations(SocketServer server, IClusterBus bus)
{
    private readonly ConcurrentDictionary<string, Action<ClusterReply>> _pending = new(StringComparer.Ordinal);
    private long _nextId;

    private TimeSpan Timeout => server.Options.ClusterRequestTimeout;

    /// <summary>Asks the member nodes and returns one final reply of each (of kind <paramref name="finalKind"/>); other replies go to <paramref name="onOther"/>.</summary>
    public async Task<IReadOnlyList<ClusterReply>> AskAsync(Namespace nsp, string kind, IReadOnlyCollection<string> rooms, byte[] body,
        string finalKind = "done", Action<ClusterReply>? onOther = null, Action<string>? keepOpen = null, CancellationToken cancellationToken = default)
    {
        var id = $"{bus.NodeId}.{Interlocked.Increment(ref _nextId)}";
        var replies = new List<ClusterReply>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var expected = -1;
        void Check()
        {
            if (expected >= 0 && replies.Count >= expected)
            {
                done.TrySetResult();
            }
        }
        _pending[id] = reply =>
        {
            if (reply.Kind != finalKind)
            {
                onOther?.Invoke(reply);
                return;
            }
            lock (replies)
            {
                replies.Add(reply);
                Check();
            }
        };
        var open = false;
        try
        {
            var nodes = await bus.RequestAsync(new ClusterRequest(nsp.Name, id, bus.NodeId, kind, rooms, body), cancellationToken).ConfigureAwait(false);
            lock (replies)
            {
                expected = nodes;
                Check();
            }
            try
            {
                await done.Task.WaitAsync(Timeout, server.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                lock (replies)
                {
                    throw new TimeoutException($"Only {replies.Count} of {nodes} nodes answered '{kind}' within {Timeout}.");
                }
            }
            lock (replies)
            {
                if (keepOpen is not null)
                {
                    keepOpen(id);
                    open = true;
                }
                return [.. replies];
            }
        }
        finally
        {
            if (!open)
            {
                _pending.TryRemove(id, out _);
            }
        }
    }

    /// <summary>
    /// Keeps a request open for late replies (the acknowledgements of a broadcast with acks) for as long as
    /// an acknowledgement may usefully arrive: <see cref="SocketServerOptions.ClusterAckWindow"/>.
    /// </summary>
    public void CloseLater(string id) => _ = CloseAfterAsync(id);

    private async Task CloseAfterAsync(string id)
    {
        await Task.Delay(server.Options.ClusterAckWindow, server.Time).ConfigureAwait(false);
        _pending.TryRemove(id, out _);
    }

    public void OnReply(ClusterReply reply)
    {
        if (_pending.TryGetValue(reply.Id, out var handler))
        {
            handler(reply);
        }
    }

    /// <summary>Performs another node's request on this node's sockets and answers it.</summary>
    public void OnRequest(ClusterRequest request) => _ = HandleAsync(request);

    private async Task HandleAsync(ClusterRequest request)
    {
        try
        {
            var (document, rest) = ClusterWire.Read(request.Body);
            using (document)
            {
                var header = document.RootElement;
                var nsp = server.TryGetNamespace(request.Namespace);
                // Performed here only (Local), with the sender's other flags (Volatile) kept.
                var sent = ClusterWire.ReadOptions(header);
                var options = sent with { Flags = sent.Flags | BroadcastFlags.Local };
                switch (request.Kind)
                {
                    case "fetch":
                        var sockets = nsp is null ? [] : await nsp.Adapter.FetchSocketsAsync(options).ConfigureAwait(false);
                        await ReplyAsync(request, "done", WriteSockets(sockets)).ConfigureAwait(false);
                        return;
                    case "join" or "leave":
                        var rooms = ClusterWire.Strings(header, "to");
                        if (nsp is not null)
                        {
                            await (request.Kind == "join" ? nsp.Adapter.AddSocketsAsync(options, rooms) : nsp.Adapter.DelSocketsAsync(options, rooms)).ConfigureAwait(false);
                        }
                        break;
                    case "disconnect":
                        if (nsp is not null)
                        {
                            await nsp.Adapter.DisconnectSocketsAsync(options, header.GetProperty("close").GetBoolean()).ConfigureAwait(false);
                        }
                        break;
                    case "emit-ack":
                        var count = 0;
                        if (nsp is not null)
                        {
                            var packet = ClusterWire.ReadPacket(header, rest);
                            count = await nsp.Adapter.BroadcastWithAckAsync(packet, options, header.GetProperty("ack").GetInt64(),
                                response => _ = ReplyAsync(request, "ack", Arguments(response))).ConfigureAwait(false);
                        }
                        await ReplyAsync(request, "done", Encoding.ASCII.GetBytes(count.ToString(System.Globalization.CultureInfo.InvariantCulture))).ConfigureAwait(false);
                        return;
                    case "disconnect-connection":
                        var gone = nsp?.Channels.Disconnect(header.GetProperty("connection").GetString()!, header.GetProperty("reason").GetString()!) == true;
                        await ReplyAsync(request, "done", gone ? "1"u8.ToArray() : "0"u8.ToArray()).ConfigureAwait(false);
                        return;
                    case "find-session":
                        var address = server.Engine.Find(header.GetProperty("sid").GetString()!) is null ? null : server.Options.NodeAddress;
                        await ReplyAsync(request, "done", address is null ? [] : Encoding.UTF8.GetBytes(address)).ConfigureAwait(false);
                        return;
                    case "presence":
                        var members = nsp?.Channels.LocalPresence(header.GetProperty("channel").GetString()!) ?? [];
                        await ReplyAsync(request, "done", JsonSerializer.SerializeToUtf8Bytes(members, ClusterJson.Default.ListPresenceMember)).ConfigureAwait(false);
                        return;
                    case "server-emit":
                        var reply = nsp is null ? null : await nsp.OnServerSideEmitAsync(header.GetProperty("event").GetString()!, rest).ConfigureAwait(false);
                        await ReplyAsync(request, "done", reply ?? "null"u8.ToArray()).ConfigureAwait(false);
                        return;
                    default:
                        server.Log.ClusterRequestFailed(request.Kind, request.Origin, "unknown request");
                        break;
                }
            }
            await ReplyAsync(request, "done", []).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            server.Log.ClusterRequestFailed(request.Kind, request.Origin, ex.Message);
        }
    }

    private ValueTask ReplyAsync(ClusterRequest request, string kind, byte[] body) =>
        bus.ReplyAsync(new ClusterReply(request.Origin, request.Id, bus.NodeId, kind, body));

    /// <summary>The arguments of an acknowledgement as a JSON array (binary attachments stay placeholders).</summary>
    internal static byte[] Arguments(SocketArguments? response) =>
        response is null ? "[]"u8.ToArray() : Encoding.UTF8.GetBytes(response.ToString());

    internal static SocketArguments? ReadArguments(ReadOnlyMemory<byte> json) =>
        SocketArguments.TryCreate(json, hasName: false, [], out _, out var arguments) ? arguments : null;

    private static byte[] WriteSockets(IReadOnlyList<RemoteSocket> sockets)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var socket in sockets)
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, socket.Id);
                ClusterWire.WriteStrings(writer, "rooms"u8, socket.Rooms);
                writer.WritePropertyName("auth"u8);
                socket.Auth.WriteTo(writer);
                WriteHandshake(writer, socket.Handshake);
                writer.WriteStartObject("data"u8);
                foreach (var (key, value) in socket.Data)
                {
                    try
                    {
                        var json = JsonSerializer.SerializeToUtf8Bytes(value, SocketJson.Options);
                        writer.WritePropertyName(key);
                        writer.WriteRawValue(json, skipInputValidation: true);
                    }
                    catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
                    {
                        // A value that cannot be written is left out.
                    }
                }
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return buffer.ToArray();
    }

    /// <summary>The request that opened a socket's connection, for <see cref="RemoteSocket.Handshake"/> on other nodes.</summary>
    private static void WriteHandshake(Utf8JsonWriter writer, SocketHandshake handshake)
    {
        writer.WriteStartObject("handshake"u8);
        writer.WriteString("url"u8, handshake.Url);
        WriteMap(writer, "query"u8, handshake.Query);
        WriteMap(writer, "headers"u8, handshake.Headers);
        writer.WriteString("address"u8, handshake.Address?.ToString());
        writer.WriteBoolean("secure"u8, handshake.Secure);
        writer.WriteNumber("issued"u8, handshake.IssuedAt.ToUnixTimeMilliseconds());
        writer.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyDictionary<string, string> map)
    {
        writer.WriteStartObject(name);
        foreach (var (key, value) in map)
        {
            writer.WriteString(key, value);
        }
        writer.WriteEndObject();
    }

    private static Engine.EngineRequest ReadRequest(JsonElement item)
    {
        if (!item.TryGetProperty("handshake", out var handshake))
        {
            // A node of an older version: nothing known but the auth.
            return new Engine.EngineRequest("", Empty, Empty, null, false, DateTimeOffset.UnixEpoch);
        }
        System.Net.IPAddress.TryParse(handshake.GetProperty("address").GetString(), out var address);
        return new Engine.EngineRequest(
            handshake.GetProperty("url").GetString() ?? "",
            ReadMap(handshake.GetProperty("query"), StringComparer.Ordinal),
            ReadMap(handshake.GetProperty("headers"), StringComparer.OrdinalIgnoreCase),
            address,
            handshake.GetProperty("secure").GetBoolean(),
            DateTimeOffset.FromUnixTimeMilliseconds(handshake.GetProperty("issued").GetInt64()));
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    private static Dictionary<string, string> ReadMap(JsonElement map, StringComparer comparer)
    {
        var result = new Dictionary<string, string>(comparer);
        foreach (var property in map.EnumerateObject())
        {
            result[property.Name] = property.Value.GetString() ?? "";
        }
        return result;
    }

    internal static List<PresenceMember> ReadPresence(ReadOnlyMemory<byte> json) =>
        JsonSerializer.Deserialize(json.Span, ClusterJson.Default.ListPresenceMember) ?? [];

    internal static IEnumerable<RemoteSocket> ReadSockets(Namespace nsp, ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json);
        var sockets = new List<RemoteSocket>();
        foreach (var item in document.RootElement.EnumerateArray())
        {
            var data = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in item.GetProperty("data").EnumerateObject())
            {
                data[property.Name] = property.Value.Clone();
            }
            var handshake = new SocketHandshake(ReadRequest(item), item.GetProperty("auth").Clone());
            sockets.Add(new RemoteSocket(nsp, item.GetProperty("id").GetString()!, ClusterWire.Strings(item, "rooms"), data, handshake, null));
        }
        return sockets;
    }
}

/// <summary>The JSON of the replies whose shape is a plain record.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<PresenceMember>))]
internal sealed partial class ClusterJson : System.Text.Json.Serialization.JsonSerializerContext;
