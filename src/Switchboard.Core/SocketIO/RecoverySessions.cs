using System.Collections.Concurrent;
using Switchboard.Cluster;
using Switchboard.Timing;

namespace Switchboard.SocketIO;

/// <summary>Socket.IO connection state recovery (socket.io's <c>connectionStateRecovery</c>).</summary>
public sealed class ConnectionStateRecoveryOptions
{
    /// <summary>How long after a disconnection the socket can still be recovered. Default 2 minutes.</summary>
    public TimeSpan MaxDisconnectionDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether a recovered socket skips connection middleware. Default true, as in socket.io.</summary>
    public bool SkipMiddlewares { get; set; } = true;
}

/// <summary>
/// The recoverable sessions of a namespace, kept for <see cref="ConnectionStateRecoveryOptions.MaxDisconnectionDuration"/>
/// after a disconnection: in memory, or, in a cluster, in the cluster's session store, so that a client
/// recovers on any node, also after its node died.
/// </summary>
internal sealed class RecoverySessionStore(DeadlineScheduler.Lane expiry, string nsp, IClusterSessionStore? cluster, TimeSpan keep)
{
    private readonly ConcurrentDictionary<string, RecoverableSession> _sessions = new(StringComparer.Ordinal);

    public void Add(RecoverableSession session)
    {
        if (cluster is not null)
        {
            cluster.Save(nsp, session);
            return;
        }
        _sessions[session.Pid] = session;
    }

    /// <summary>The session's rooms changed.</summary>
    public void Changed(RecoverableSession session) => cluster?.Save(nsp, session);

    /// <summary>Marks the session disconnected; it expires one recovery window later unless taken.</summary>
    public void Disconnected(RecoverableSession session)
    {
        if (cluster is not null)
        {
            cluster.Disconnected(nsp, session, keep);
            return;
        }
        lock (session)
        {
            session.Disconnected = true;
            expiry.Schedule(new Expiry(this, session), ++session.Token);
        }
    }

    public void Remove(RecoverableSession session)
    {
        if (cluster is not null)
        {
            cluster.Remove(nsp, session.Pid);
            return;
        }
        _sessions.TryRemove(new KeyValuePair<string, RecoverableSession>(session.Pid, session));
    }

    /// <summary>Takes a disconnected session for recovery; null when unknown, expired, or still connected.</summary>
    public ValueTask<RecoverableSession?> TryTakeAsync(string pid)
    {
        if (cluster is not null)
        {
            return cluster.TryTakeAsync(nsp, pid);
        }
        if (!_sessions.TryGetValue(pid, out var session))
        {
            return ValueTask.FromResult<RecoverableSession?>(null);
        }
        lock (session)
        {
            if (!session.Disconnected)
            {
                return ValueTask.FromResult<RecoverableSession?>(null);
            }
            session.Disconnected = false;
            session.Token++;
            return ValueTask.FromResult<RecoverableSession?>(session);
        }
    }

    private sealed class Expiry(RecoverySessionStore store, RecoverableSession session) : IDeadlineTarget
    {
        public void OnDeadline(int token, long due)
        {
            lock (session)
            {
                if (token != session.Token || !session.Disconnected)
                {
                    return;
                }
            }
            store.Remove(session);
        }
    }
}
