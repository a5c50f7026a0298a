using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Engine;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>
/// Socket.IO sockets under concurrent publishers, now that delivery runs behind the namespace's order
/// (docs/decisions/0010, design 1): a socket's subscription from a position and a socket's recovery both
/// switch from replay to live at one point of the order, whatever is still queued for delivery.
/// </summary>
public sealed class ConcurrentPublicationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_socket_subscribing_from_a_position_while_publishers_run_gets_every_later_publication_once_in_order()
    {
        var options = new SocketServerOptions();
        options.Channels.DefaultHistory.Size = 100_000;
        using var server = new SocketServer(options);
        var nsp = server.Of("/");
        const int Before = 20, Publishers = 4, Each = 200;
        StreamPosition position = default;
        for (var i = 1; i <= Before; i++)
        {
            position = (await nsp.Channels.PublishAsync(["room"], "n", [-i]).AsTask().WaitAsync(Timeout)).Positions["room"];
        }
        var (client, sid) = await DirectClient.ConnectAsync(server);
        using var _ = client;
        var socket = nsp.Sockets[sid];

        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var halfway = new CountdownEvent(Publishers);
        var publishing = Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < Each; i++)
            {
                if (i == Each / 2)
                {
                    halfway.Signal();
                    // The second half races the subscription's switch to live.
                    if (p % 2 == 0)
                    {
                        await subscribed.Task;
                    }
                }
                await nsp.To("room").EmitAsync("n", p * Each + i);
            }
        })).ToArray();
        Assert.True(await Task.Run(() => halfway.Wait(Timeout)), "publishers reached half-way");
        var since = new StreamPosition(10, position.Epoch);
        var subscription = await socket.SubscribeAsync("room", since).AsTask().WaitAsync(Timeout);
        subscribed.SetResult();
        await Task.WhenAll(publishing).WaitAsync(Timeout);

        Assert.True(subscription.Continuous);
        Assert.InRange(subscription.Top.Offset, Before + Publishers * Each / 2, Before + Publishers * Each);
        var history = await nsp.Channels.HistoryAsync("room", since, int.MaxValue).AsTask().WaitAsync(Timeout);
        var expected = history.Entries.Select(e => (int)e.Publication.Arguments[0]!).ToArray();
        Assert.Equal(Before + Publishers * Each - 10, expected.Length);
        var received = new List<int>();
        while (received.Count < expected.Length)
        {
            received.Add(EventArgument(await client.ReceiveAsync(), "n"));
        }
        Assert.Equal(expected, received);
        // Every publish has returned, so all of them were handed to the socket: nothing more is queued.
        Assert.False(HasMoreEvents(client), "no publication was sent twice");
    }

    [Fact]
    public async Task A_socket_recovering_while_publishers_run_gets_each_publication_once_in_order()
    {
        var options = new SocketServerOptions { Recovery = new ConnectionStateRecoveryOptions() };
        options.Channels.DefaultHistory.Size = 100_000;
        using var server = new SocketServer(options);
        var nsp = server.Of("/");
        var first = DirectClient.Open(server);
        first.Send("40");
        var connect = await first.ReceiveAsync();
        var sid = ConnectField(connect, "sid");
        var pid = ConnectField(connect, "pid");
        nsp.Sockets[sid].Join("news");

        const int Publishers = 4, Each = 150;
        var broken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publishing = Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < Each; i++)
            {
                if (i == Each / 2)
                {
                    // The second half races the recovery.
                    await broken.Task;
                }
                await nsp.To("news").EmitAsync("tick", p * Each + i);
            }
        })).ToArray();

        // Read some of the first half, then the transport breaks with more still queued for it.
        var received = new List<(int Id, long Seq)>();
        while (received.Count < Publishers * Each / 4)
        {
            received.Add(TickWithSeq(await first.ReceiveAsync()));
        }
        var lastOffset = $"{nsp.Channels.Epoch}-{received[^1].Seq}";
        first.Session.Close(Protocols.DisconnectCode.ClientClosed);
        broken.SetResult();

        using var second = DirectClient.Open(server);
        second.Send($"40{{\"pid\":\"{pid}\",\"offset\":\"{lastOffset}\"}}");
        while (true)
        {
            var frame = await second.ReceiveAsync();
            if (frame.StartsWith("40", StringComparison.Ordinal))
            {
                Assert.Equal(sid, ConnectField(frame, "sid"));
                break;
            }
            received.Add(TickWithSeq(frame));
        }
        await Task.WhenAll(publishing).WaitAsync(Timeout);
        while (received.Count < Publishers * Each)
        {
            received.Add(TickWithSeq(await second.ReceiveAsync()));
        }

        Assert.Equal(Enumerable.Range(0, Publishers * Each), received.Select(r => r.Id).Order());
        for (var i = 1; i < received.Count; i++)
        {
            Assert.True(received[i].Seq > received[i - 1].Seq, $"publications in the namespace's order: {received[i - 1].Seq} then {received[i].Seq}");
        }
        Assert.False(HasMoreEvents(second), "no publication was sent twice");
    }

    /// <summary>The first argument of an event frame <c>42["name",arg,...]</c>.</summary>
    private static int EventArgument(string frame, string name)
    {
        Assert.StartsWith("42", frame);
        using var array = JsonDocument.Parse(frame[2..]);
        Assert.Equal(name, array.RootElement[0].GetString());
        return array.RootElement[1].GetInt32();
    }

    /// <summary>A <c>tick</c> event's id and the sequence number of its recovery offset (<c>epoch-seq</c>, the last argument).</summary>
    private static (int Id, long Seq) TickWithSeq(string frame)
    {
        Assert.StartsWith("42", frame);
        using var array = JsonDocument.Parse(frame[2..]);
        Assert.Equal("tick", array.RootElement[0].GetString());
        var offset = array.RootElement[2].GetString()!;
        return (array.RootElement[1].GetInt32(), long.Parse(offset[(offset.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string ConnectField(string frame, string field)
    {
        Assert.StartsWith("40", frame);
        using var reply = JsonDocument.Parse(frame[2..]);
        return reply.RootElement.GetProperty(field).GetString()!;
    }

    /// <summary>Whether anything but heartbeats is still queued for the client.</summary>
    private static bool HasMoreEvents(DirectClient client)
    {
        while (client.Session.Outbound.TryRead(out var frame))
        {
            if (!frame.Data.Span.SequenceEqual("2"u8))
            {
                return true;
            }
        }
        return false;
    }
}
