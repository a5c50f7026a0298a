namespace Switchboard.Connections;

/// <summary>A registry of connections whose writes the <see cref="SendScan"/> times.</summary>
internal interface ISendScanned
{
    /// <summary>Drops each connection whose write under way began before its send timeout (timestamps of the scan's clock).</summary>
    void CheckSends(long now);
}

/// <summary>
/// The one scan of every connection's write in progress, of every protocol: one per server, a quarter of
/// the shortest send timeout apart, rather than a timer per write or one per registry. Each registry (the
/// Engine.IO server's sessions, each namespace's channel connections) is walked in turn; what a stuck
/// write means is each connection's own policy (<see cref="IConnection"/>).
/// </summary>
internal sealed class SendScan(TimeProvider time) : IDisposable
{
    private readonly Lock _gate = new();
    private ISendScanned[] _registries = [];
    private ITimer? _timer;
    private long _periodTicks = long.MaxValue;
    private bool _disposed;

    /// <summary>Scans <paramref name="registry"/> from now on, at least a quarter of <paramref name="sendTimeout"/> apart.</summary>
    public void Add(ISendScanned registry, TimeSpan sendTimeout)
    {
        lock (_gate)
        {
            // Copied on write: registries are added once each (a server, a namespace), read on every tick.
            Volatile.Write(ref _registries, [.. _registries, registry]);
        }
        Within(sendTimeout);
    }

    /// <summary>Makes the scan run at least a quarter of <paramref name="sendTimeout"/> apart.</summary>
    public void Within(TimeSpan sendTimeout)
    {
        var period = Math.Max(sendTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10);
        if (period >= Volatile.Read(ref _periodTicks))
        {
            return;
        }
        lock (_gate)
        {
            if (period >= _periodTicks || _disposed)
            {
                return;
            }
            _periodTicks = period;
            _timer ??= time.CreateTimer(static state => ((SendScan)state!).Scan(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(TimeSpan.FromTicks(period), TimeSpan.FromTicks(period));
        }
    }

    private void Scan()
    {
        var now = time.GetTimestamp();
        foreach (var registry in Volatile.Read(ref _registries))
        {
            registry.CheckSends(now);
        }
    }

    /// <summary>Stops the scan.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }
}
