namespace Switchboard.Cluster;

/// <summary>
/// Counts this node's local members of each channel of a namespace (Socket.IO room members and other
/// protocols' subscribers alike) and tells the bus when a channel gets its first member or loses its
/// last. A caller that must not miss a publication awaits <see cref="AcquireAsync"/>: it ends once the
/// cluster delivers the channel to this node, also when another member asked first.
/// </summary>
internal sealed class ClusterInterest(IClusterBus bus, string nsp)
{
    private readonly Dictionary<string, Entry> _channels = new(StringComparer.Ordinal);

    public void Acquire(string channel) => _ = Observe(AcquireAsync(channel));

    public ValueTask AcquireAsync(string channel)
    {
        TaskCompletionSource registered;
        lock (_channels)
        {
            if (_channels.TryGetValue(channel, out var entry))
            {
                entry.Count++;
                if (!entry.Ready.IsFaulted)
                {
                    return new ValueTask(entry.Ready);
                }
                // The registration failed (Redis out of reach): this member asks again.
            }
            else
            {
                _channels[channel] = entry = new Entry();
            }
            // Set under the lock: a member that comes while the bus is asked waits for the same answer.
            registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            entry.Ready = registered.Task;
        }
        // Outside the lock: the bus may run a continuation inline.
        _ = RegisterAsync(channel, registered);
        return new ValueTask(registered.Task);
    }

    private async Task RegisterAsync(string channel, TaskCompletionSource registered)
    {
        try
        {
            await bus.AddInterestAsync(nsp, channel).ConfigureAwait(false);
            registered.TrySetResult();
        }
        catch (Exception ex)
        {
            registered.TrySetException(ex);
        }
    }

    /// <summary>Completes once the cluster delivers the channel to this node (at once when it is not a member).</summary>
    public Task ReadyAsync(string channel)
    {
        lock (_channels)
        {
            return _channels.TryGetValue(channel, out var entry) ? entry.Ready : Task.CompletedTask;
        }
    }

    public bool Contains(string channel)
    {
        lock (_channels)
        {
            return _channels.ContainsKey(channel);
        }
    }

    /// <summary>Returns true when that was the channel's last local member.</summary>
    public bool Release(string channel)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(channel, out var entry) || --entry.Count > 0)
            {
                return false;
            }
            _channels.Remove(channel);
        }
        bus.RemoveInterest(nsp, channel);
        return true;
    }

    /// <summary>A failure to register is the bus's to log and repair (it registers again on reconnect).</summary>
    private static async Task Observe(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception)
        {
        }
    }

    private sealed class Entry
    {
        public int Count = 1;

        public Task Ready = Task.CompletedTask;
    }
}
