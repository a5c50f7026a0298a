using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Client.Tests.Infrastructure;

namespace Switchboard.Client.Tests;

/// <summary>Reconnection delays on a fake clock, and socket.io-client's backoff formula.</summary>
public sealed class ReconnectionTests
{
    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }

    /// <summary>A loopback port nothing listens on: every connection attempt is refused at once.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Delays_double_from_one_second_to_five_and_the_client_gives_up_after_its_attempts()
    {
        var time = new FakeTimeProvider();
        await using var client = new SocketIOClient(new Uri($"http://127.0.0.1:{ClosedPort()}/"), new SocketIOClientOptions
        {
            TimeProvider = time,
            RandomizationFactor = 0,
            ReconnectionAttempts = 5,
        });
        var scheduled = Channel.CreateUnbounded<ReconnectingEventArgs>();
        client.Reconnecting += e => scheduled.Writer.TryWrite(e);
        var gaveUp = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ReconnectFailed += n => gaveUp.TrySetResult(n);
        var socket = client.Socket();
        var errors = 0;
        socket.ConnectError += e =>
        {
            Assert.False(e.IsServerRefusal);
            Interlocked.Increment(ref errors);
        };
        var connect = socket.ConnectAsync();

        // socket.io-client's defaults: 1 s, doubling, capped at 5 s.
        int[] expected = [1000, 2000, 4000, 5000, 5000];
        var first = await scheduled.Reader.ReadAsync().AsTask().Within();
        Assert.Equal(new ReconnectingEventArgs(1, TimeSpan.FromMilliseconds(1000)), first);
        for (var attempt = 2; attempt <= expected.Length; attempt++)
        {
            var wait = TimeSpan.FromMilliseconds(expected[attempt - 2]);
            time.Advance(wait - TimeSpan.FromMilliseconds(1));
            // The delay's timer has not fired, so nothing can have been tried yet.
            Assert.False(scheduled.Reader.TryPeek(out _), $"attempt {attempt} scheduled before its delay passed");
            Assert.Equal(attempt - 1, Volatile.Read(ref errors));
            time.Advance(TimeSpan.FromMilliseconds(1));
            var next = await scheduled.Reader.ReadAsync().AsTask().Within();
            Assert.Equal(new ReconnectingEventArgs(attempt, TimeSpan.FromMilliseconds(expected[attempt - 1])), next);
        }

        time.Advance(TimeSpan.FromMilliseconds(expected[^1]));
        Assert.Equal(5, await gaveUp.Task.Within());
        var error = await Assert.ThrowsAsync<SocketConnectErrorException>(() => connect.Within());
        Assert.False(error.IsServerRefusal);
        Assert.Equal(6, Volatile.Read(ref errors));
        Assert.False(scheduled.Reader.TryPeek(out _));
    }

    [Theory]
    [InlineData(0.25, 875)] // first decimal 2 (even): 1000 - floor(0.25 * 0.5 * 1000)
    [InlineData(0.35, 1175)] // first decimal 3 (odd): 1000 + floor(0.35 * 0.5 * 1000)
    [InlineData(0.0, 1000)]
    public void Jitter_moves_the_first_delay_down_or_up_by_the_draw(double draw, int expectedMs)
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), 0.5, new FixedRandom(draw));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), backoff.Next());
    }

    [Fact]
    public void Jittered_delays_stay_within_the_factor_and_under_the_cap_and_reset()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), 0.5, new Random(1234));
        var spread = new HashSet<double>();
        for (var round = 0; round < 200; round++)
        {
            backoff.Reset();
            for (var attempt = 0; attempt < 6; attempt++)
            {
                var nominal = 1000 * Math.Pow(2, attempt);
                var delay = backoff.Next().TotalMilliseconds;
                Assert.InRange(delay, Math.Min(5000, Math.Floor(nominal * 0.5)), Math.Min(5000, nominal * 1.5));
                if (attempt == 0)
                {
                    spread.Add(delay);
                }
            }
        }
        Assert.True(spread.Min() < 1000 && spread.Max() > 1000, "jitter goes both ways");
    }
}
