using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Engine;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>
/// The switch from replay to live at one point of the namespace's order, made deterministic: a recipient
/// holds up the delivery of one publication while another is ordered behind it, a socket subscribes or
/// recovers (its replay has both), and a third publication is ordered after it. Whatever was ordered before
/// the switch is never delivered live to the socket as well, and what was ordered after it is.
/// </summary>
public sealed class GoLiveOrderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_socket_subscription_goes_live_behind_publications_still_queued_for_delivery()
    {
        var options = new SocketServerOptions();
        options.Channels.DefaultHistory.Size = 1000;
        using var server = new SocketServer(options);
        var nsp = server.Of("/");
        var hub = nsp.Channels;
        var (client, sid) = await DirectClient.ConnectAsync(server);
        using var _ = client;
        var gate = new Gate(holdSeq: 2);
        await hub.SubscribeAsync("room", gate).AsTask().WaitAsync(Timeout);
        var since = (await hub.PublishAsync(["room"], "n", [1]).AsTask().WaitAsync(Timeout)).Positions["room"];

        var held = Task.Run(() => hub.PublishAsync(["room"], "n", [2]).AsTask());
        await gate.Entered.Task.WaitAsync(Timeout);
        var queued = Task.Run(() => hub.PublishAsync(["room"], "n", [3]).AsTask());
        Assert.True(SpinWait.SpinUntil(() => hub.Seq == 3, Timeout), "the third publication is ordered, its delivery queued");
        var subscribing = Task.Run(() => nsp.Sockets[sid].SubscribeAsync("room", since).AsTask());
        // The replay is sent under the order: both publications still queued for delivery are in it.
        Assert.Equal(2, Argument(await client.ReceiveAsync()));
        Assert.Equal(3, Argument(await client.ReceiveAsync()));
        var after = Task.Run(() => hub.PublishAsync(["room"], "n", [4]).AsTask());
        Assert.True(SpinWait.SpinUntil(() => hub.Seq == 4, Timeout), "a publication is ordered after the subscription");
        gate.Open();
        await Task.WhenAll(held, queued, after, subscribing).WaitAsync(Timeout);

        Assert.Equal(4, Argument(await client.ReceiveAsync()));
        Assert.False(HasMoreEvents(client), "nothing of the replay came again live");
    }

    [Fact]
    public async Task A_recovery_goes_live_behind_publications_still_queued_for_delivery_with_a_store_that_awaits()
    {
        using var memory = new InMemoryChannelStore();
        var store = new SignallingStore(memory);
        var options = new SocketServerOptions { Recovery = new ConnectionStateRecoveryOptions() };
        using var server = new SocketServer(options, channelStore: store);
        var nsp = server.Of("/");
        var hub = nsp.Channels;
        var first = DirectClient.Open(server);
        first.Send("40");
        var connect = await first.ReceiveAsync();
        var sid = Field(connect, "sid");
        var pid = Field(connect, "pid");
        nsp.Sockets[sid].Join("news");
        var gate = new Gate(holdSeq: 2);
        await hub.SubscribeAsync("news", gate).AsTask().WaitAsync(Timeout);
        await nsp.To("news").EmitAsync("tick", 1).AsTask().WaitAsync(Timeout);
        var offset = Offset(await first.ReceiveAsync(), 1);
        first.Session.Close(Protocols.DisconnectCode.ClientClosed);

        var held = Task.Run(() => nsp.To("news").EmitAsync("tick", 2).AsTask());
        await gate.Entered.Task.WaitAsync(Timeout);
        var queued = Task.Run(() => nsp.To("news").EmitAsync("tick", 3).AsTask());
        Assert.True(SpinWait.SpinUntil(() => hub.Seq == 3, Timeout), "the third publication is ordered, its delivery queued");
        using var second = DirectClient.Open(server);
        var recovering = Task.Run(() => second.Send($"40{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}"));
        // The recovery reads the rooms' history under the order; a publication made now is ordered after it.
        await store.RecoveryRead.Task.WaitAsync(Timeout);
        var after = Task.Run(() => nsp.To("news").EmitAsync("tick", 4).AsTask());
        Assert.True(SpinWait.SpinUntil(() => hub.Seq == 4, Timeout), "a publication is ordered after the recovery");
        gate.Open();
        await Task.WhenAll(held, queued, after, recovering).WaitAsync(Timeout);

        Assert.Equal("2", Offset(await second.ReceiveAsync(), 2)[(offset.LastIndexOf('-') + 1)..]);
        Assert.Equal("3", Offset(await second.ReceiveAsync(), 3)[(offset.LastIndexOf('-') + 1)..]);
        Assert.Equal(sid, Field(await second.ReceiveAsync(), "sid"));
        Assert.Equal("4", Offset(await second.ReceiveAsync(), 4)[(offset.LastIndexOf('-') + 1)..]);
        Assert.False(HasMoreEvents(second), "nothing the recovery sent came again live");
    }

    private static int Argument(string frame)
    {
        Assert.StartsWith("42", frame);
        using var array = JsonDocument.Parse(frame[2..]);
        return array.RootElement[1].GetInt32();
    }

    /// <summary>A <c>tick</c> event's recovery offset, checking its argument.</summary>
    private static string Offset(string frame, int expected)
    {
        Assert.StartsWith("42", frame);
        using var array = JsonDocument.Parse(frame[2..]);
        Assert.Equal(expected, array.RootElement[1].GetInt32());
        return array.RootElement[2].GetString()!;
    }

    private static string Field(string frame, string field)
    {
        Assert.StartsWith("40", frame);
        using var reply = JsonDocument.Parse(frame[2..]);
        return reply.RootElement.GetProperty(field).GetString()!;
    }

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

    /// <summary>A channel subscriber that holds up the delivery of one publication until opened.</summary>
    private sealed class Gate(long holdSeq) : IChannelSubscriber
    {
        private readonly ManualResetEventSlim _open = new();

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string ConnectionId => "gate";

        public void Open() => _open.Set();

        public void Deliver(in ChannelEntry entry)
        {
            if (entry.Publication.Seq == holdSeq)
            {
                Entered.TrySetResult();
                if (!_open.Wait(Timeout))
                {
                    throw new TimeoutException("the gate was never opened");
                }
            }
        }

        public void Discontinuity(string channel, StreamPosition top)
        {
        }
    }

    /// <summary>The in-memory store seen through the interface (so the hub awaits its order), telling when a recovery reads.</summary>
    private sealed class SignallingStore(InMemoryChannelStore inner) : IChannelStore
    {
        public TaskCompletionSource RecoveryRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<StreamPosition> AppendAsync(string nsp, string channel, Publication publication, HistoryPolicy policy, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(nsp, channel, publication, policy, cancellationToken);

        public ValueTask<HistoryRead> ReadAsync(string nsp, string channel, StreamPosition? since, int limit, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(nsp, channel, since, limit, cancellationToken);

        public ValueTask<HistoryRead> ReadAfterSeqAsync(string nsp, string channel, long seq, CancellationToken cancellationToken = default)
        {
            RecoveryRead.TrySetResult();
            return inner.ReadAfterSeqAsync(nsp, channel, seq, cancellationToken);
        }

        public ValueTask<StreamPosition> GetPositionAsync(string nsp, string channel, CancellationToken cancellationToken = default) =>
            inner.GetPositionAsync(nsp, channel, cancellationToken);
    }
}
