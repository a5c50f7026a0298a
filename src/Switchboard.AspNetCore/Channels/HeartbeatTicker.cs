namespace Switchboard.AspNetCore.Channels;

/// <summary>
/// One timer for every connection of an endpoint: <see cref="NextTick"/> completes at the next tick, so
/// an idle connection waits on it together with its queue and writes a heartbeat when it fires. No
/// timer per connection.
/// </summary>
internal sealed class HeartbeatTicker : IDisposable
{
    private readonly ITimer _timer;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeartbeatTicker(TimeSpan interval, TimeProvider time) => _timer = time.CreateTimer(_ => Tick(), null, interval, interval);

    /// <summary>Completes at the next tick.</summary>
    public Task NextTick => Volatile.Read(ref _next).Task;

    private void Tick() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Stops ticking. Streams end with the host (ApplicationStopping) before this runs, so nobody is left waiting.</summary>
    public void Dispose() => _timer.Dispose();
}
