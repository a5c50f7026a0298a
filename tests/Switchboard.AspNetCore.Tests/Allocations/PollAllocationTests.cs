using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Channels;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.Channels;
using Switchboard.SocketIO;
using Xunit.Abstractions;

namespace Switchboard.AspNetCore.Tests.Allocations;

/// <summary>Runs alone: the allocation counter is the process's, so no other test may run meanwhile.</summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>
/// What one polling answer allocates in the whole server process (docs/performance.md, S8): a real
/// Kestrel, one keep-alive connection from a raw socket that allocates nothing per request, a few
/// thousand answers. The bounds sit between what these tests measured before the polling paths were cut
/// (long-poll 5,060–5,068 B, Engine.IO with the emit 2,162–2,213 B per answer) and after (3,814–3,824 B;
/// 1,915–1,922 B), so a return of what was cut fails here.
/// </summary>
[Collection(nameof(AllocationCollection))]
public sealed class PollAllocationTests(ITestOutputHelper output)
{
    private const int Warmup = 1_000;
    private const int Measured = 4_000;

    [Fact]
    public async Task A_long_poll_answered_from_history_allocates_at_most_4_4_KB()
    {
        await using var host = await Switchboard.Testing.TestHost.StartAsync(
            b =>
            {
                b.Services.AddSingleton<IChannelAuthorizer, TestChannelAuthorizer>();
                b.Services.AddSwitchboard(_ => { });
            },
            app =>
            {
                app.MapSocketIO("/socket.io");
                app.MapLongPoll("/poll");
            });
        var hub = host.Services.GetRequiredService<SocketServer>().Main.Channels;
        StreamPosition top = default;
        for (var i = 0; i < 3; i++)
        {
            top = (await hub.PublishAsync(["a"], "message", [1])).Positions["a"];
        }
        // Always one behind the top: every poll replays one publication and is answered at once.
        var cursor = Protocols.Channels.ChannelCursor.Format([new StreamPosition(top.Offset - 1, top.Epoch)]);
        using var client = await RawHttpClient.ConnectAsync(host.BaseAddress,
            $"GET /poll?channel=a&cursor={Uri.EscapeDataString(cursor)}&timeout=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TestChannelAuthorizer.Good}\r\n\r\n");

        await client.ExchangeAsync().Within();
        var answer = client.LastResponse;
        var perAnswer = await MeasureAsync(client.ExchangeAsync);

        Assert.Contains("\"offset\":3", answer, StringComparison.Ordinal);
        Assert.InRange(perAnswer, 1, 4_400);
    }

    [Fact]
    public async Task An_engine_io_poll_of_one_event_allocates_at_most_2_05_KB_with_the_emit()
    {
        await using var host = await Switchboard.Testing.TestHost.StartAsync(b => b.Services.AddSwitchboard(_ => { }), app => app.MapSocketIO("/socket.io"));
        var io = host.Services.GetRequiredService<SocketServer>();
        using var polling = new EnginePollingClient(host.BaseAddress, "/socket.io");
        await polling.HandshakeAsync();
        await polling.PostAsync("40");
        Assert.StartsWith("40", Assert.Single(await polling.PollAsync()));
        using var client = await RawHttpClient.ConnectAsync(host.BaseAddress,
            $"GET /socket.io/?EIO=4&transport=polling&sid={Uri.EscapeDataString(polling.Sid)} HTTP/1.1\r\nHost: x\r\n\r\n");
        var payload = new string('x', 100);
        async Task CycleAsync()
        {
            await io.EmitAsync("msg", payload);
            await client.ExchangeAsync();
        }

        await CycleAsync().Within();
        var answer = client.LastResponse;
        var perAnswer = await MeasureAsync(CycleAsync);

        Assert.EndsWith($"42[\"msg\",\"{payload}\"]", answer, StringComparison.Ordinal);
        Assert.InRange(perAnswer, 1, 2_050);
    }

    /// <summary>Bytes the process allocated per answer; the whole run has one timeout (a token per exchange would allocate).</summary>
    private async Task<double> MeasureAsync(Func<Task> answer)
    {
        async Task<double> RunAsync()
        {
            for (var i = 0; i < Warmup; i++)
            {
                await answer();
            }
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < Measured; i++)
            {
                await answer();
            }
            return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Measured;
        }
        var perAnswer = await RunAsync().WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"{perAnswer:F0} bytes allocated per answer");
        return perAnswer;
    }

    /// <summary>One keep-alive HTTP/1.1 connection sending the same request and reading whole responses, with no allocation per exchange.</summary>
    private sealed class RawHttpClient(System.Net.Sockets.Socket socket, byte[] request) : IDisposable
    {
        private readonly byte[] _buffer = new byte[256 * 1024];
        private int _length;

        public static async Task<RawHttpClient> ConnectAsync(Uri server, string request)
        {
            var socket = new System.Net.Sockets.Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(server.Host, server.Port).Within();
            return new RawHttpClient(socket, Encoding.ASCII.GetBytes(request));
        }

        /// <summary>The last response, head and body (made on demand: a string allocates).</summary>
        public string LastResponse => Encoding.UTF8.GetString(_buffer, 0, _length);

        /// <summary>Sends the request and reads one response (Content-Length or chunked).</summary>
        public async Task ExchangeAsync()
        {
            await socket.SendAsync(request.AsMemory(), SocketFlags.None);
            _length = 0;
            while (!IsComplete(_buffer.AsSpan(0, _length)))
            {
                var read = await socket.ReceiveAsync(_buffer.AsMemory(_length), SocketFlags.None);
                Assert.True(read > 0, "The server closed the connection.");
                _length += read;
            }
        }

        private static bool IsComplete(ReadOnlySpan<byte> response)
        {
            var head = response.IndexOf("\r\n\r\n"u8);
            if (head < 0)
            {
                return false;
            }
            var length = response.IndexOf("Content-Length: "u8);
            if (length >= 0 && length < head)
            {
                System.Buffers.Text.Utf8Parser.TryParse(response[(length + 16)..], out int bodyLength, out _);
                return response.Length >= head + 4 + bodyLength;
            }
            return response.EndsWith("\r\n0\r\n\r\n"u8);
        }

        public void Dispose() => socket.Dispose();
    }
}
