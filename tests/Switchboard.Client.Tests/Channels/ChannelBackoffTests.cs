using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Client.Channels;
using Switchboard.Client.Tests.Infrastructure;

namespace Switchboard.Client.Tests.Channels;

/// <summary>Reconnection delays on a fake clock: 0.5 s doubling to the maximum, times the jitter's draw.</summary>
[Collection(ChannelClientCollection.Name)]
public sealed class ChannelBackoffTests
{
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Delays_double_from_half_a_second_to_the_maximum_and_no_attempt_comes_early()
    {
        var time = new FakeTimeProvider();
        var logs = new LogRecorder();
        await using var client = new ChannelClient(new Uri($"http://127.0.0.1:{ClosedPort()}/"), new ChannelClientOptions
        {
            TimeProvider = time,
            Random = new FixedRandom(0.5), // factor 0.5 + 0.5 = 1: no jitter
            ReconnectionDelayMax = TimeSpan.FromSeconds(3),
            Logger = logs,
        });
        var scheduled = Channel.CreateUnbounded<ReconnectingEventArgs>();
        client.Reconnecting += e => scheduled.Writer.TryWrite(e);
        var failures = 0;
        client.TransportFailed += _ => Interlocked.Increment(ref failures);
        client.Subscribe("prices");

        int[] expected = [500, 1000, 2000, 3000, 3000];
        Assert.Equal(new ReconnectingEventArgs(1, TimeSpan.FromMilliseconds(500)), await scheduled.Reader.ReadAsync().AsTask().Within());
        // Each round tries all three transports before waiting.
        Assert.Equal(3, Volatile.Read(ref failures));
        for (var attempt = 2; attempt <= expected.Length; attempt++)
        {
            time.Advance(TimeSpan.FromMilliseconds(expected[attempt - 2] - 1));
            Assert.False(scheduled.Reader.TryPeek(out _), $"attempt {attempt} scheduled before its delay passed");
            Assert.Equal(3 * (attempt - 1), Volatile.Read(ref failures));
            time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(new ReconnectingEventArgs(attempt, TimeSpan.FromMilliseconds(expected[attempt - 1])), await scheduled.Reader.ReadAsync().AsTask().Within());
            Assert.Equal(3 * attempt, Volatile.Read(ref failures));
        }
        Assert.Equal(ChannelClientState.Reconnecting, client.State);
        Assert.Equal(expected.Length, logs.Messages(103).Count());
    }

    [Theory]
    [InlineData(0.0, 0, 250)]
    [InlineData(0.999, 0, 749)]
    [InlineData(0.0, 10, 15_000)]
    [InlineData(0.75, 10, 37_500)]
    public async Task The_jitter_scales_each_delay_by_half_to_one_and_a_half(double draw, int attempt, int expectedMs)
    {
        await using var client = new ChannelClient(new Uri("http://127.0.0.1:1/"), new ChannelClientOptions { Random = new FixedRandom(draw) });
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), client.Backoff(attempt, retryAfter: null));
        Assert.Equal(TimeSpan.FromSeconds(60), client.Backoff(attempt, retryAfter: TimeSpan.FromSeconds(60)));
    }

    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }
}
