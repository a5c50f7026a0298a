using System.Net.WebSockets;
using System.Text;
using Switchboard.AspNetCore.Transports.EngineIO;
using Switchboard.AspNetCore.Shared;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>The stream under the server WebSocket: a batch of frames reaches the connection as one write, in order.</summary>
public sealed class GatheringStreamTests
{
    // Every await is bounded. Everything here is in memory and normally completes synchronously; the
    // bound is generous for a busy machine shared with other builds.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static Task SendAsync(WebSocket socket, byte[] data, WebSocketMessageType type = WebSocketMessageType.Text) =>
        socket.SendAsync(data, type, true, CancellationToken.None).WaitAsync(Timeout);

    [Fact]
    public void The_accept_key_is_the_one_of_RFC_6455()
    {
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketAcceptor.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public async Task A_batch_is_one_write_and_a_client_reads_every_frame_in_order()
    {
        var wire = new WriteCountingStream();
        var gathering = new GatheringStream(wire);
        using var server = WebSocket.CreateFromStream(gathering, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

        await SendAsync(server, "4alone"u8.ToArray());
        Assert.Equal(1, wire.Writes);

        gathering.Gather();
        await SendAsync(server, "4first"u8.ToArray());
        await SendAsync(server, [1, 2, 3], WebSocketMessageType.Binary);
        Assert.Equal(1, wire.Writes);
        gathering.ReleaseWithNextWrite();
        await SendAsync(server, "4last"u8.ToArray());
        Assert.Equal(2, wire.Writes);

        await SendAsync(server, "4after"u8.ToArray());
        Assert.Equal(3, wire.Writes);

        wire.Position = 0;
        using var client = WebSocket.CreateFromStream(wire, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        var received = new List<string>();
        var buffer = new byte[64];
        for (var i = 0; i < 5; i++)
        {
            var result = await client.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Timeout);
            Assert.True(result.EndOfMessage);
            received.Add(result.MessageType == WebSocketMessageType.Binary
                ? "bin:" + string.Join(',', buffer[..result.Count])
                : Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        Assert.Equal(["4alone", "4first", "bin:1,2,3", "4last", "4after"], received);
    }

    /// <summary>A memory stream that counts the writes that reach it.</summary>
    private sealed class WriteCountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            return base.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Writes++;
            return base.WriteAsync(buffer, offset, count, cancellationToken);
        }
    }
}
