
namespace Switchboard.Cluster;

/// <summary>
/// Recovery sessions shared by the nodes of an <see cref="InMemoryCluster"/>. A session is kept as a copy
/// (the socket keeps changing its own), so taking it on another node gives that node a session of its own,
/// as reading it back from Redis does. As with Redis, a connected socket's session lives as long as its
/// node; when the node leaves, its connected sessions are kept for <see cref="OrphanLease"/>, so its clients
/// can recover elsewhere. Expired sessions are dropped when met and by a sweep every 256 writes.
/// </summary>
internal sealed class InMemorySessionStore(TimeProvider time)
{
    /// <summary>How long a connected socket's session outlives its node (Redis's <c>SessionLease</c> default).</summary>
    public static readonly TimeSpan OrphanLease = TimeSpan.FromMinutes(1);

    private readonly Dictionary<(string Nsp, string Pid), Entry> _sessions = [];
    private int _writes;

    /// <summary>The store as one node sees it: what it writes, it owns.</summary>
    public IClusterSessionStore For(string node) => new NodeView(this, node);

    /// <summary>The node left: its connected sockets' sessions now expire.</summary>
    public void Orphan(string node)
    {
        var expires = time.GetUtcNow() + OrphanLease;
        lock (_sessions)
        {
            foreach (var (key, entry) in _sessions.ToList())
            {
                if (entry.Owner == node && entry.Expires is null)
                {
                    _sessions[key] = entry with { Expires = expires };
                }
            }
        }
    }

    private void Write(string node, string nsp, RecoverableSession session, DateTimeOffset? expires)
    {
        var copy = Copy(session);
        lock (_sessions)
        {
            _sessions[(nsp, session.Pid)] = new Entry(copy, node, expires);
            if (++_writes % 256 == 0)
            {
                Sweep();
            }
        }
    }

    private void Remove(string nsp, string pid)
    {
        lock (_sessions)
        {
            _sessions.Remove((nsp, pid));
        }
    }

    private RecoverableSession? Take(string node, string nsp, string pid)
    {
        lock (_sessions)
        {
            if (!_sessions.TryGetValue((nsp, pid), out var kept))
            {
                return null;
            }
            if (kept.Expires is { } expires && expires <= time.GetUtcNow())
            {
                _sessions.Remove((nsp, pid));
                return null;
            }
            // The taking node owns it now and writes it again as the socket changes.
            _sessions[(nsp, pid)] = new Entry(kept.Session, node, null);
            return Copy(kept.Session);
        }
    }

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (key, entry) in _sessions.ToList())
        {
            if (entry.Expires <= now)
            {
                _sessions.Remove(key);
            }
        }
    }

    private static RecoverableSession Copy(RecoverableSession session)
    {
        var copy = new RecoverableSession(session.Pid, session.SocketId);
        // The socket changes its session under the session's own lock.
        lock (session)
        {
            copy.Rooms.UnionWith(session.Rooms);
            foreach (var (key, value) in session.Data)
            {
                copy.Data[key] = value;
            }
        }
        return copy;
    }

    private sealed record Entry(RecoverableSession Session, string Owner, DateTimeOffset? Expires);

    private sealed class NodeView(InMemorySessionStore store, string node) : IClusterSessionStore
    {
        public void Save(string nsp, RecoverableSession session) => store.Write(node, nsp, session, null);

        public void Disconnected(string nsp, RecoverableSession session, TimeSpan keep) => store.Write(node, nsp, session, store.Now + keep);

        public void Remove(string nsp, string pid) => store.Remove(nsp, pid);

        public ValueTask<RecoverableSession?> TryTakeAsync(string nsp, string pid, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(store.Take(node, nsp, pid));
    }

    private DateTimeOffset Now => time.GetUtcNow();
}
