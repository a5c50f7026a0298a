using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Switchboard.Client.Channels;
using Switchboard.Client.Tests.Infrastructure;

namespace Switchboard.Client.Tests.Channels;

/// <summary>Helpers of the channel client tests: options that reconnect fast, reading items with a timeout, a log recorder.</summary>
public static class ChannelTestKit
{
    public static TheoryData<ChannelTransport> AllTransports => new() { ChannelTransport.WebSocket, ChannelTransport.ServerSentEvents, ChannelTransport.LongPoll };

    public static string PathOf(ChannelTransport transport) => transport switch
    {
        ChannelTransport.WebSocket => "/ws",
        ChannelTransport.ServerSentEvents => "/sse",
        _ => "/poll",
    };

    /// <summary>One transport (or all three when null), reconnecting after 20 to 200 ms.</summary>
    public static ChannelClientOptions Options(ChannelTransport? transport, ILogger logger) => new()
    {
        Transports = transport is { } t ? [t] : [ChannelTransport.WebSocket, ChannelTransport.ServerSentEvents, ChannelTransport.LongPoll],
        ReconnectionDelay = TimeSpan.FromMilliseconds(20),
        ReconnectionDelayMax = TimeSpan.FromMilliseconds(200),
        Logger = logger,
    };

    /// <summary>The next <paramref name="count"/> items, each within the default timeout.</summary>
    public static async Task<List<ChannelItem>> TakeAsync(this IAsyncEnumerator<ChannelItem> items, int count)
    {
        var taken = new List<ChannelItem>();
        while (taken.Count < count)
        {
            Assert.True(await items.MoveNextAsync().AsTask().Within(), $"the subscription ended after {taken.Count} of {count} item(s)");
            taken.Add(items.Current);
        }
        return taken;
    }

    /// <summary>Asserts the items are publications with exactly these offsets, in order, and data equal to the offset.</summary>
    public static void AssertOffsets(IEnumerable<ChannelItem> items, string epoch, params long[] offsets)
    {
        var publications = items.Select(i => Assert.IsType<ChannelPublication>(i)).ToList();
        Assert.Equal(offsets, publications.Select(p => p.Position.Offset));
        Assert.All(publications, p => Assert.Equal(epoch, p.Position.Epoch));
        Assert.All(publications, p => Assert.Equal(p.Position.Offset, p.GetData<long>()));
    }
}

/// <summary>Records what the client logs; a test fails on an Error it did not expect.</summary>
public sealed class LogRecorder : ILogger
{
    public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));

    public IEnumerable<string> Messages(int eventId) => Entries.Where(e => e.EventId == eventId).Select(e => e.Message);

    public void AssertNoErrors() => Assert.DoesNotContain(Entries, e => e.Level >= LogLevel.Error);
}

/// <summary>
/// The channel client's tests run on their own, after the others: each starts real servers and reconnects
/// in a loop, and on a 2-core machine that load made the Socket.IO wire tests' timing flaky.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChannelClientCollection
{
    public const string Name = "Channel client";
}
