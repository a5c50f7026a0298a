using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>
/// An SSE client that stops reading is cut at its byte budget, and its connection dropped, while a
/// reading stream of the same channel gets every publication.
/// </summary>
public sealed class SseSlowConsumerTests : IAsyncLifetime
{
    private static readonly string Big = new('x', 20_000);
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(options =>
            {
                options.Channels.MaxQueuedBytes = 256 * 1024;
                options.Channels.SendTimeout = TimeSpan.FromMilliseconds(500);
            }),
            app => app.MapServerSentEvents("/sse"));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_stream_that_stops_reading_is_cut_and_a_reading_stream_gets_everything()
    {
        var channel = ChannelsFixture.NewChannel("sse-slow");
        var hub = _host.Services.GetRequiredService<SocketServer>().Main.Channels;
        await using var reader = await SseTestClient.ConnectAsync(_host.BaseAddress, $"/sse?channel={channel}", token: null);
        using var stalled = await OpenStalledAsync(channel);
        Assert.Equal(2, hub.PresenceCount(channel));

        // 20 KB publications, each once the reading stream has the one before, until the stalled stream
        // is cut (its request ended, so it left the channel) while the reader stays: the network
        // buffers (a few MB, depending on the machine) and the budget of 256 KB fill first. At most 2,000.
        var i = 0;
        while (hub.PresenceCount(channel) != 1 && i < 2000)
        {
            i++;
            await hub.PublishAsync([channel], "big", [new { i, pad = Big }]).Within();
            Assert.Equal(i, (await reader.NextPublicationAsync()).GetProperty("data").GetProperty("i").GetInt32());
        }
        Assert.Equal(1, hub.PresenceCount(channel));
        Assert.True(await EndsAsync(stalled), "the stalled stream's connection was not dropped");
    }

    /// <summary>A raw HTTP/1.1 SSE request on a socket with a small receive buffer, read until the stream has started, then never read again.</summary>
    private async Task<System.Net.Sockets.Socket> OpenStalledAsync(string channel)
    {
        var socket = new System.Net.Sockets.Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(_host.BaseAddress.Host, _host.BaseAddress.Port).WaitAsync(Timeouts.Default);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /sse?channel={channel} HTTP/1.1\r\nHost: {_host.BaseAddress.Authority}\r\nAccept: text/event-stream\r\n\r\n"));
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains("event: subscribed", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Timeouts.Default);
            Assert.True(read > 0, "the stream ended before it was subscribed");
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return socket;
    }

    /// <summary>Reads (and drops) what the server sent until the connection ends; false if it is still open after a while.</summary>
    private static async Task<bool> EndsAsync(System.Net.Sockets.Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) > 0)
            {
            }
            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
