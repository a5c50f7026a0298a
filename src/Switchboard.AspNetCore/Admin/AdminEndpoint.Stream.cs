using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchboard.Channels;
using Switchboard.Engine;

namespace Switchboard.AspNetCore.Admin;

internal sealed partial class AdminEndpoint
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    /// <summary>
    /// <c>GET {admin}/stream</c>: a text/event-stream with one snapshot (docs/admin.md, "Snapshot") per
    /// interval, until the client goes or the host stops. Rates come from sampling each listed channel's
    /// top offset between snapshots of this stream, so publishing itself pays nothing for them.
    /// </summary>
    public async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var token = ended.Token;
        var sampler = new Dictionary<(string Ns, string Channel), (StreamPosition Position, long At)>();
        using var timer = new PeriodicTimer(options.SnapshotInterval, server.Time);
        try
        {
            do
            {
                var snapshot = await SnapshotAsync(sampler, token).ConfigureAwait(false);
                await context.Response.Body.WriteAsync(DataPrefix, token).ConfigureAwait(false);
                await context.Response.Body.WriteAsync(snapshot, token).ConfigureAwait(false);
                await context.Response.Body.WriteAsync(EventEnd, token).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(token).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The admin closed the page, or the host is stopping.
        }
    }

    /// <summary>One snapshot, as one line of JSON (an SSE data line may not hold a line break).</summary>
    internal async Task<byte[]> SnapshotAsync(Dictionary<(string Ns, string Channel), (StreamPosition Position, long At)> sampler, CancellationToken cancellationToken)
    {
        var time = server.Time;
        IReadOnlyList<string>? nodes = null;
        string? nodesError = null;
        if (server.Cluster is { } cluster)
        {
            try
            {
                nodes = await cluster.GetLiveNodesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                nodesError = ex.Message;
                AdminLog.NodesUnavailable(logger, ex.Message);
            }
        }

        // Connections: every Engine.IO session is a Socket.IO client; the channel protocols register with their namespace's hub.
        var sessions = server.Engine.Sessions.ToList();
        var byProtocol = new SortedDictionary<string, int>(StringComparer.Ordinal) { ["socket.io"] = sessions.Count, ["sse"] = 0, ["websocket"] = 0, ["longpoll"] = 0 };
        var connections = new List<(string Id, string Protocol, string Ns, string? Detail, string? User)>();
        var channels = new List<(string Ns, string Channel, int Subscribers, ChannelHub Hub)>();
        var namespaces = new List<(string Name, int Sockets)>();
        foreach (var nsp in server.Namespaces)
        {
            namespaces.Add((nsp.Name, nsp.Sockets.Count));
            foreach (var socket in nsp.Sockets.Values)
            {
                var transport = nsp.Channels.TransportOf(socket.Id) is EngineTransportKind kind ? (kind == EngineTransportKind.WebSocket ? "websocket" : "polling") : null;
                connections.Add((socket.Id, "socket.io", nsp.Name, transport, socket.Data.TryGetValue("userId", out var user) ? user?.ToString() : null));
            }
            foreach (var connection in nsp.Channels.LocalConnections())
            {
                byProtocol[connection.Protocol] = byProtocol.GetValueOrDefault(connection.Protocol) + 1;
                connections.Add((connection.ConnectionId, connection.Protocol, nsp.Name, null, connection.UserId));
            }
            foreach (var (channel, subscribers) in nsp.Channels.LocalChannels())
            {
                channels.Add((nsp.Name, channel, subscribers, nsp.Channels));
            }
        }
        var listed = channels.OrderByDescending(c => c.Subscribers).ThenBy(c => c.Channel, StringComparer.Ordinal).Take(options.MaxListed).ToList();
        var now = time.GetTimestamp();
        var rates = new List<(StreamPosition Top, double? Rate)>(listed.Count);
        var sampled = new HashSet<(string, string)>();
        foreach (var (ns, channel, _, hub) in listed)
        {
            // The hub read above, not server.Of(ns): that would bring back a namespace removed meanwhile.
            var top = await hub.Store.GetPositionAsync(ns, channel, cancellationToken).ConfigureAwait(false);
            double? rate = null;
            if (sampler.TryGetValue((ns, channel), out var before) && before.Position.Epoch == top.Epoch && top.Offset >= before.Position.Offset)
            {
                var seconds = time.GetElapsedTime(before.At, now).TotalSeconds;
                rate = seconds > 0 ? (top.Offset - before.Position.Offset) / seconds : null;
            }
            sampler[(ns, channel)] = (top, now);
            sampled.Add((ns, channel));
            rates.Add((top, rate));
        }
        // Channels no longer listed are forgotten, so the sampler stays as small as the list.
        foreach (var key in sampler.Keys.Where(k => !sampled.Contains(k)).ToList())
        {
            sampler.Remove(key);
        }

        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("time"u8, time.GetUtcNow());
            w.WriteString("node"u8, server.Cluster?.NodeId);
            w.WriteBoolean("cluster"u8, server.Cluster is not null);
            w.WriteStartArray("nodes"u8);
            foreach (var node in nodes ?? (server.Cluster is null ? [] : [server.Cluster.NodeId]))
            {
                w.WriteStringValue(node);
            }
            w.WriteEndArray();
            if (nodesError is not null)
            {
                w.WriteString("nodesError"u8, nodesError);
            }
            w.WriteStartObject("protocols"u8);
            foreach (var (protocol, count) in byProtocol)
            {
                w.WriteNumber(protocol, count);
            }
            w.WriteEndObject();
            w.WriteStartObject("engine"u8);
            w.WriteNumber("websocket"u8, sessions.Count(s => s.Transport == EngineTransportKind.WebSocket));
            w.WriteNumber("polling"u8, sessions.Count(s => s.Transport != EngineTransportKind.WebSocket));
            w.WriteEndObject();
            w.WriteStartArray("namespaces"u8);
            foreach (var (name, sockets) in namespaces)
            {
                w.WriteStartObject();
                w.WriteString("name"u8, name);
                w.WriteNumber("sockets"u8, sockets);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("channelCount"u8, channels.Count);
            w.WriteStartArray("channels"u8);
            for (var i = 0; i < listed.Count; i++)
            {
                var (ns, channel, subscribers, _) = listed[i];
                w.WriteStartObject();
                w.WriteString("ns"u8, ns);
                w.WriteString("name"u8, channel);
                w.WriteNumber("subscribers"u8, subscribers);
                w.WriteNumber("offset"u8, rates[i].Top.Offset);
                w.WriteString("epoch"u8, rates[i].Top.Epoch);
                if (rates[i].Rate is { } rate)
                {
                    w.WriteNumber("rate"u8, Math.Round(rate, 2));
                }
                else
                {
                    w.WriteNull("rate"u8);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("connectionCount"u8, connections.Count);
            w.WriteStartArray("connections"u8);
            foreach (var (id, protocol, ns, detail, user) in connections.Take(options.MaxListed))
            {
                w.WriteStartObject();
                w.WriteString("id"u8, id);
                w.WriteString("protocol"u8, protocol);
                w.WriteString("ns"u8, ns);
                w.WriteString("transport"u8, detail);
                w.WriteString("user"u8, user);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
