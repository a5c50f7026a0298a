namespace Switchboard.LoadGen.Clients;

/// <summary>What a scenario hears from its clients. Called on the clients' receive threads: keep it cheap.</summary>
internal interface IClientObserver
{
    /// <summary>A <c>msg</c> event (or SSE event) arrived; the message holds the payload.</summary>
    void OnDelivery(BenchClient client, ReadOnlySpan<byte> message);

    /// <summary>The acknowledgement / completion of an echo arrived; the message holds the payload.</summary>
    void OnEchoReply(BenchClient client, ReadOnlySpan<byte> message);

    void OnClosed(BenchClient client, string? error);
}

/// <summary>Ignores everything: for clients opened only to be counted (storms, idle).</summary>
internal sealed class NullObserver : IClientObserver
{
    public static readonly NullObserver Instance = new();

    public void OnDelivery(BenchClient client, ReadOnlySpan<byte> message)
    {
    }

    public void OnEchoReply(BenchClient client, ReadOnlySpan<byte> message)
    {
    }

    public void OnClosed(BenchClient client, string? error)
    {
    }
}
