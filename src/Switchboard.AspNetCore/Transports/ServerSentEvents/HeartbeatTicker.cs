using Switchboard.Channels;

namespace Switchboard.AspNetCore.Transports.ServerSentEvents;

/// <summary>
/// One timer for every connection of an endpoint: at each tick it counts <see cref="Ticks"/> and
/// signals every connection added (<see cref="ChannelConnection.Signal"/>), which then writes a heartbeat
/// if it has not written one for this tick. A connection waits on its own queue alone: no timer, task or
/// continuation per connection or per wait.
/// </summary>
internal sealed class HeartbeatTicker : IDisposable
{
    private readonly ITimer _timer;
    private readonly HashSet<ChannelConnection> _connections = [];
    private long _ticks;

    public HeartbeatTicker(TimeSpan interval, TimeProvider time) => _timer = time.CreateTimer(_ => Tick(), null, interval, interval);

    /// <summary>How many times the ticker has ticked.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Signals <paramref name="connection"/> at every tick from now on.</summary>
    public void Add(ChannelConnection connection)
    {
        lock (_connections)
        {
            _connections.Add(connection);
        }
    }

    public void Remove(ChannelConnection connection)
    {
        lock (_connections)
        {
            _connections.Remove(connection);
        }
    }

    private void Tick()
    {
        Interlocked.Increment(ref _ticks);
        lock (_connections)
        {
            // A signal only queues a message (at most one waits per connection): cheap enough to hold the lock.
            foreach (var connection in _connections)
            {
                connection.Signal();
            }
        }
    }

    /// <summary>Stops ticking. Streams end with the host (ApplicationStopping) before this runs, so nobody is left waiting.</summary>
    public void Dispose() => _timer.Dispose();
}
