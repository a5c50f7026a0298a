using Switchboard.SocketIO;

namespace Switchboard.Cluster;

/// <summary>
/// Recovery sessions shared by the nodes of an <see cref="InMemoryCluster"/>. A session is kept as a copy
/// (the socket keeps changing its own), so taking it on another node gives that node a session of its own,
/// as reading it back from Redis does. A connected socket's session never expires: its node renews it for
/// as long as it lives, and in one process a node cannot die without the cluster.
/// </summary>
internal sealed class InMemorySessionStore(TimeProvider time) : IClusterSessionStore
{
    private readonly Dictionary<(string Nsp, string Pid), (RecoverableSession Session, DateTimeOffset? Expires)> _sessions = [];

    public void Save(string nsp, RecoverableSession session) => Write(nsp, session, null);

    public void Disconnected(string nsp, RecoverableSession session, TimeSpan keep) => Write(nsp, session, time.GetUtcNow() + keep);

    public ValueTask<RecoverableSession?> TryTakeAsync(string nsp, string pid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Take(nsp, pid));

    private void Write(string nsp, RecoverableSession session, DateTimeOffset? expires)
    {
        var copy = Copy(session);
        lock (_sessions)
        {
            _sessions[(nsp, session.Pid)] = (copy, expires);
        }
    }

    public void Remove(string nsp, string pid)
    {
        lock (_sessions)
        {
            _sessions.Remove((nsp, pid));
        }
    }

    private RecoverableSession? Take(string nsp, string pid)
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
            _sessions[(nsp, pid)] = (kept.Session, null);
            return Copy(kept.Session);
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
}
