using StackExchange.Redis;

namespace Switchboard.Redis;

public sealed partial class RedisClusterBus
{
    private async Task RunHeartbeatAsync()
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _options.Store.TimeProvider);
        var renewed = _options.Store.TimeProvider.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (!_ready.Task.IsCompleted)
                {
                    // Still joining: the inbox loop tries and logs; a lease without an inbox would only mislead.
                    continue;
                }
                try
                {
                    if (await TimedHeartbeatAsync().ConfigureAwait(false))
                    {
                        // The lease had run out (heartbeats failed for a while): others may have dropped
                        // this node from its rooms' sets while the connection stayed up.
                        await ReregisterAsync().ConfigureAwait(false);
                    }
                    // The sessions of connected sockets are renewed at half their lease.
                    if (_options.Store.TimeProvider.GetElapsedTime(renewed) >= _options.SessionLease / 2)
                    {
                        await ((RedisSessionStore)Sessions!).RenewAsync().ConfigureAwait(false);
                        renewed = _options.Store.TimeProvider.GetTimestamp();
                    }
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    Log.HeartbeatFailed(_log, NodeId, RedisFailure.Describe(ex, _redis));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Renews the lease; true when it had run out or was gone.</summary>
    private async Task<bool> HeartbeatAsync()
    {
        var expired = (long)await _database.ScriptEvaluateAsync(ClusterScripts.Heartbeat, [_nodes], [NodeId, (long)_options.NodeLease.TotalMilliseconds]).ConfigureAwait(false) == 1;
        Interlocked.Exchange(ref _renewedAt, _options.Store.TimeProvider.GetTimestamp());
        return expired;
    }

    /// <summary>
    /// Raised once the node is registered again after Redis came back (lease, rooms, sessions) and its
    /// inbox subscription is up: from then on it receives again.
    /// </summary>
    public event EventHandler? Restored;

    /// <summary>After Redis comes back (maybe empty): the lease and every room this node has members of, again.</summary>
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        Interlocked.Exchange(ref _connectionUp, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (!Joined)
        {
            // Not joined yet: the signal above wakes the inbox loop, which joins in full.
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await HeartbeatAsync().ConfigureAwait(false);
                await ReregisterAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.HeartbeatFailed(_log, NodeId, RedisFailure.Describe(ex, _redis));
            }
        });
    }

    /// <summary>Every room this node has members of, and its connected sockets' sessions, written again.</summary>
    private async Task ReregisterAsync()
    {
        (string Nsp, string Channel)[] interest;
        lock (_interest)
        {
            interest = [.. _interest];
        }
        var batch = _database.CreateBatch();
        var pending = interest.Select(i => batch.ScriptEvaluateAsync(ClusterScripts.AddInterest, [InterestKey(i.Nsp, i.Channel), _nodeInterest], [NodeId])).ToArray();
        batch.Execute();
        await Task.WhenAll(pending).ConfigureAwait(false);
        // In full, not just renewed: a Redis that restarted empty lost them, and writes made while it
        // was away were dropped.
        await ((RedisSessionStore)Sessions!).RewriteAsync().ConfigureAwait(false);
        if (await InboxSubscribedAsync().ConfigureAwait(false))
        {
            Log.Reregistered(_log, NodeId, interest.Length);
            Restored?.Invoke(this, EventArgs.Empty);
        }
    }
}
