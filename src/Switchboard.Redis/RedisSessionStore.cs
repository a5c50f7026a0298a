using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Switchboard.Cluster;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.Redis;

/// <summary>
/// Socket.IO recovery sessions in Redis (docs/cluster.md, "Recovery"): one hash per session with the
/// socket id, its rooms and data, its owner node and state. It is written whenever the socket's rooms
/// change, so it is current when a node dies; the owner renews the sessions of its connected sockets,
/// which therefore outlive a killed node by <see cref="RedisClusterOptions.SessionLease"/>, and a
/// disconnected one is kept for the recovery window. Only the owner writes a session; recovering on a
/// node makes that node the owner.
/// </summary>
internal sealed partial class RedisSessionStore(RedisClusterBus bus, IDatabase database, string prefix, TimeSpan lease, ILogger log) : IClusterSessionStore
{
    private readonly ConcurrentDictionary<(string Nsp, string Pid), RecoverableSession> _connected = new();
    private readonly long _leaseMs = (long)lease.TotalMilliseconds;

    public void Save(string nsp, RecoverableSession session)
    {
        _connected[(nsp, session.Pid)] = session;
        Write(nsp, session, _leaseMs, "save", "connected");
    }

    public void Disconnected(string nsp, RecoverableSession session, TimeSpan keep)
    {
        _connected.TryRemove((nsp, session.Pid), out _);
        Write(nsp, session, (long)keep.TotalMilliseconds, "disconnected", "disconnected");
    }

    public void Remove(string nsp, string pid)
    {
        _connected.TryRemove((nsp, pid), out _);
        _ = Observe(database.ScriptEvaluateAsync(ClusterScripts.SessionWrite, [bus.SessionKey(nsp, pid)], [bus.NodeId, _leaseMs, "remove"]));
    }

    /// <summary>
    /// A session that cannot be read (Redis out of reach, a damaged hash) is not recovered: the client
    /// connects as a new socket (<c>recovered = false</c>) rather than not at all.
    /// </summary>
    public async ValueTask<RecoverableSession?> TryTakeAsync(string nsp, string pid, CancellationToken cancellationToken = default)
    {
        try
        {
            return await TakeAsync(nsp, pid, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException or FormatException or InvalidCastException)
        {
            LogTakeFailed(log, pid, nsp, ex.Message);
            return null;
        }
    }

    private async ValueTask<RecoverableSession?> TakeAsync(string nsp, string pid, CancellationToken cancellationToken)
    {
        var result = await database.ScriptEvaluateAsync(ClusterScripts.SessionTake, [bus.SessionKey(nsp, pid)], [bus.NodeId, _leaseMs]).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsNull || result.Resp2Type != ResultType.Array)
        {
            return null;
        }
        var fields = (RedisValue[])result!;
        string? socketId = null;
        byte[]? rooms = null, data = null;
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            switch ((string?)fields[i])
            {
                case "socket":
                    socketId = fields[i + 1];
                    break;
                case "rooms":
                    rooms = fields[i + 1];
                    break;
                case "data":
                    data = fields[i + 1];
                    break;
            }
        }
        if (socketId is null)
        {
            return null;
        }
        var session = new RecoverableSession(pid, socketId);
        if (rooms is not null)
        {
            foreach (var room in JsonSerializer.Deserialize(rooms, StoreJson.Default.StringArray) ?? [])
            {
                session.Rooms.Add(room);
            }
        }
        if (data is not null)
        {
            using var document = JsonDocument.Parse(data);
            if (document.RootElement is { ValueKind: JsonValueKind.Object } values)
            {
                foreach (var property in values.EnumerateObject())
                {
                    session.Data[property.Name] = property.Value.Clone();
                }
            }
        }
        _connected[(nsp, pid)] = session;
        return session;
    }

    /// <summary>
    /// Writes the sessions of this node's connected sockets again, in full: after Redis came back it may
    /// have lost them (a restart without persistence), or missed the writes made while it was away.
    /// </summary>
    public Task RewriteAsync() =>
        Task.WhenAll(_connected.Select(entry => WriteAsync(entry.Key.Nsp, entry.Value, _leaseMs, "save", "connected")));

    /// <summary>Renews the sessions of this node's connected sockets (from the heartbeat).</summary>
    public async Task RenewAsync()
    {
        if (_connected.IsEmpty)
        {
            return;
        }
        var batch = database.CreateBatch();
        var pending = _connected.Keys.Select(k => batch.KeyExpireAsync(bus.SessionKey(k.Nsp, k.Pid), TimeSpan.FromMilliseconds(_leaseMs))).ToArray();
        batch.Execute();
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    private void Write(string nsp, RecoverableSession session, long ttlMs, string action, string state) =>
        _ = Observe(WriteAsync(nsp, session, ttlMs, action, state));

    private Task WriteAsync(string nsp, RecoverableSession session, long ttlMs, string action, string state)
    {
        // Queued under the session's lock, in order on one connection: the last write carries the last
        // change, also when two threads change the session at once.
        lock (session)
        {
            var rooms = JsonSerializer.SerializeToUtf8Bytes(session.Rooms.ToArray(), StoreJson.Default.StringArray);
            var data = SerializeData(session.Data);
            return database.ScriptEvaluateAsync(ClusterScripts.SessionWrite, [bus.SessionKey(nsp, session.Pid)],
                [bus.NodeId, ttlMs, action, "socket", session.SocketId, "rooms", rooms, "data", data, "state", state]);
        }
    }

    /// <summary><c>socket.data</c> as JSON; a value that cannot be written is left out (and comes back missing).</summary>
    private static byte[] SerializeData(Dictionary<string, object?> values)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in values)
            {
                try
                {
                    var json = JsonSerializer.SerializeToUtf8Bytes(value, SocketJson.Options);
                    writer.WritePropertyName(key);
                    writer.WriteRawValue(json, skipInputValidation: true);
                }
                catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or JsonException)
                {
                }
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static async Task Observe(Task pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The next write, or the renewal after a reconnect, makes the session current again.
        }
    }

    public override string ToString() => $"Recovery sessions under {prefix}session:";

    [LoggerMessage(10, LogLevel.Warning, "Recovery session {Pid} of {Namespace} could not be read ({Reason}): the client connects as a new socket")]
    private static partial void LogTakeFailed(ILogger logger, string pid, string @namespace, string reason);
}
