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

    /// <summary>While set, closes are expected (teardown) and not counted.</summary>
    public volatile bool Closing;

    public void OnDelivery(BenchClient client, ReadOnlySpan<byte> message)
    {
        Interlocked.Increment(ref _deliveries);
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
            SendEcho(client);
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
