namespace Switchboard.Diagnostics;

/// <summary>
/// What was written to one connection (or to the connections already gone), kept where it is counted and
/// summed only when <c>switchboard.messages.sent</c> and <c>switchboard.io.sent</c> are collected: a write
/// costs two uncontended atomic adds on the connection's own memory, not an instrument's measurement.
/// </summary>
internal struct SentTraffic
{
    public long Messages;
    public long Bytes;

    public void Add(long messages, long bytes)
    {
        Interlocked.Add(ref Messages, messages);
        Interlocked.Add(ref Bytes, bytes);
    }

    public readonly SentTraffic Read() => new() { Messages = Volatile.Read(in Messages), Bytes = Volatile.Read(in Bytes) };
}

/// <summary>Sent traffic summed per protocol and transport while the observable counters are collected.</summary>
public sealed class TrafficObservation
{
    // By protocol and transport (the namespaces of the channel protocols' tags are summed together).
    internal Dictionary<(string Protocol, string Transport), (KeyValuePair<string, object?>[] Wire, SentTraffic Sent)> ByWire { get; } = [];

    internal void Add(ConnectionTags tags, in SentTraffic traffic)
    {
        ref var entry = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ByWire, (tags.Protocol, tags.Transport), out var exists);
        if (!exists)
        {
            entry.Wire = tags.Wire;
        }
        var read = traffic.Read();
        entry.Sent.Messages += read.Messages;
        entry.Sent.Bytes += read.Bytes;
    }
}
