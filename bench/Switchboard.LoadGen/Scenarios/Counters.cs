using System.Diagnostics;
using Switchboard.LoadGen.Clients;
using Switchboard.LoadGen.Measure;

namespace Switchboard.LoadGen.Scenarios;

/// <summary>
/// The observer all clients of a scenario share: counts deliveries and echo replies, records latency
/// while a histogram is set, and in closed-loop echo mode sends the next echo from the reply itself.
/// </summary>
internal sealed class Counters : IClientObserver
{
    private long _deliveries;
    private long _echoReplies;
    private long _echoesSent;
    private long _unexpectedCloses;
    private long _echoRotation;
    // The delivery count the closed loop's publisher waits for (long.MaxValue: nobody waits).
    private long _wakeAt = long.MaxValue;
    private readonly SemaphoreSlim _wake = new(0);

    public long Deliveries => Volatile.Read(ref _deliveries);

    public long EchoReplies => Volatile.Read(ref _echoReplies);

    public long EchoesSent => Volatile.Read(ref _echoesSent);

    public long UnexpectedCloses => Volatile.Read(ref _unexpectedCloses);

    public string? LastCloseError { get; private set; }

    /// <summary>Where delivery latencies go; null outside latency phases.</summary>
    public volatile LatencyHistogram? DeliveryLatency;

    public volatile LatencyHistogram? EchoLatency;

    /// <summary>While set, every echo reply sends the next echo on the same connection.</summary>
    public volatile bool EchoLoop;

    /// <summary>
    /// While <see cref="EchoLoop"/> is set and this is not null, every echo reply sends the next echo on
    /// the next of these connections in turn (the in-flight rows of S4), not on the replying one.
    /// </summary>
    public volatile BenchClient[]? EchoRotation;

    /// <summary>While set, closes are expected (teardown) and not counted.</summary>
    public volatile bool Closing;

    public void OnDelivery(BenchClient client, ReadOnlySpan<byte> message)
    {
        var delivered = Interlocked.Increment(ref _deliveries);
        if (delivered >= Volatile.Read(ref _wakeAt) && Interlocked.Exchange(ref _wakeAt, long.MaxValue) != long.MaxValue)
        {
            _wake.Release();
        }
        var histogram = DeliveryLatency;
        if (histogram is not null && Payload.TryReadTimestamp(message, out var sent))
        {
            histogram.Record(Payload.ElapsedNanoseconds(sent));
        }
    }

    public void OnEchoReply(BenchClient client, ReadOnlySpan<byte> message)
    {
        Interlocked.Increment(ref _echoReplies);
        var histogram = EchoLatency;
        if (histogram is not null && Payload.TryReadTimestamp(message, out var sent))
        {
            histogram.Record(Payload.ElapsedNanoseconds(sent));
        }
        if (EchoLoop)
        {
            var rotation = EchoRotation;
            SendEcho(rotation is null ? client : rotation[(int)((ulong)Interlocked.Increment(ref _echoRotation) % (ulong)rotation.Length)]);
        }
    }

    /// <summary>
    /// Blocks until at least <paramref name="count"/> deliveries have arrived or the timeout passes (one
    /// waiter at a time: the closed loop's publisher). The delivery that reaches the count wakes it.
    /// </summary>
    public void WaitForDeliveries(long count, TimeSpan timeout)
    {
        Volatile.Write(ref _wakeAt, count);
        if (Deliveries >= count && Interlocked.Exchange(ref _wakeAt, long.MaxValue) != long.MaxValue)
        {
            return;
        }
        // Either a delivery released the semaphore (taken here at once) or the wait times out.
        if (!_wake.Wait(timeout))
        {
            // Timed out: withdraw the request; if a delivery released meanwhile, take that release now.
            if (Interlocked.Exchange(ref _wakeAt, long.MaxValue) == long.MaxValue)
            {
                _wake.Wait(0);
            }
        }
    }

    public bool SendEcho(BenchClient client)
    {
        Span<byte> payload = stackalloc byte[Payload.JsonLength];
        Payload.Write(payload, Stopwatch.GetTimestamp());
        if (!client.SendEcho(payload))
        {
            return false;
        }
        Interlocked.Increment(ref _echoesSent);
        return true;
    }

    public void OnClosed(BenchClient client, string? error)
    {
        if (Closing)
        {
            return;
        }
        Interlocked.Increment(ref _unexpectedCloses);
        LastCloseError = error ?? "closed by the server";
    }
}
