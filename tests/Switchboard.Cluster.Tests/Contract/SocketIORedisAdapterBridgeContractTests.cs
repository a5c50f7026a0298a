using System.Buffers;
using System.Text;
using MessagePack;
using StackExchange.Redis;
using Switchboard.Redis;
using Switchboard.Redis.Compat;

namespace Switchboard.Cluster.Tests.Contract;

/// <summary>
/// The contract on <see cref="SocketIORedisAdapterBridge"/> (docs/redis-adapter-compat.md): every case of the
/// Redis bus holds through the bridge, which adds the <c>@socket.io/redis-adapter</c> path beside it. What the
/// bridge cannot do by design is stated by the two cases at the end, not skipped.
/// </summary>
public sealed class SocketIORedisAdapterBridgeContractTests(RedisServer redis) : RedisClusterBusContractTests(redis)
{
    private readonly RedisServer _redis = redis;
    private readonly string _key = $"sio{Guid.NewGuid():N}"[..11];

    protected override IClusterBus Wrap(RedisClusterBus bus, ConnectionMultiplexer connection) =>
        bus.WithSocketIORedisAdapter(new SocketIORedisAdapterOptions { Key = _key });

    protected override async Task ReadyAsync(IClusterBus bus)
    {
        await base.ReadyAsync(bus);
        await ((SocketIORedisAdapterBridge)bus).Ready;
    }

    [Fact]
    public async Task A_publication_also_reaches_node_servers_on_the_adapter_channel_of_its_room()
    {
        var a = await StartNodeAsync();
        var heard = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var node = await _redis.Connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal($"{_key}#/#room#"));
        node.OnMessage(m => heard.TrySetResult((byte[])m.Message!));

        await a.Bus.PublishAsync(Publication("room", 5));

        var message = MessagePackSerializer.Deserialize<object[]>(await heard.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.StartsWith("switchboard~", (string)message[0]);
        var packet = (IDictionary<object, object>)message[1];
        var data = (object[])packet["data"];
        Assert.Equal("tick", data[0]);
        Assert.Equal(5, Convert.ToInt32(data[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task By_design_a_broadcast_from_a_node_server_is_delivered_as_it_comes_without_offset_or_history()
    {
        var a = await StartNodeAsync();
        await a.Bus.AddInterestAsync(Nsp, "room");

        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(3);
        writer.Write("node-server-1");
        writer.WriteMapHeader(3);
        writer.Write("type");
        writer.Write(2);
        writer.Write("data");
        writer.WriteArrayHeader(2);
        writer.Write("from-node");
        writer.Write(1);
        writer.Write("nsp");
        writer.Write("/");
        writer.WriteMapHeader(3);
        writer.Write("rooms");
        writer.WriteArrayHeader(1);
        writer.Write("room");
        writer.Write("except");
        writer.WriteArrayHeader(0);
        writer.Write("flags");
        writer.WriteMapHeader(0);
        writer.Flush();
        await _redis.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal($"{_key}#/#room#"), buffer.WrittenMemory.ToArray());

        // It reaches the node's sockets as a broadcast (docs/redis-adapter-compat.md, "What is not supported")...
        var broadcast = await a.Sink.NextBroadcastAsync();
        Assert.Equal("42[\"from-node\",1]", Encoding.UTF8.GetString(broadcast.Packet.Text));
        Assert.Equal(["room"], broadcast.Options.Rooms);
        // ...not as a publication: no sequence number, no offset, nothing in the room's history.
        Assert.True(a.Sink.NoMorePublications);
        var history = await a.Bus.History.ReadAsync(Nsp, "room", since: null, limit: 10);
        Assert.Empty(history.Entries);
    }

    [Fact]
    public async Task By_design_a_request_from_switchboard_reaches_switchboard_nodes_only()
    {
        var a = await StartNodeAsync();
        var b = await StartNodeAsync();
        var asked = 0;
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var channel = RedisChannel.Literal($"{_key}-request#/#");
        var nodeServer = await _redis.Connection.GetSubscriber().SubscribeAsync(channel);
        nodeServer.OnMessage(m =>
        {
            if (m.Message == "marker")
            {
                marker.TrySetResult();
            }
            else
            {
                Interlocked.Increment(ref asked);
            }
        });

        // A Node server listening on the adapter's request channel is not counted and never asked.
        Assert.Equal(1, await a.Bus.RequestAsync(Request(a)));
        Assert.Equal(b.Bus.NodeId, (await a.Sink.NextReplyAsync()).From);
        // Redis delivers one channel's messages in the order it took them: a request sent before the marker comes first.
        await _redis.Connection.GetSubscriber().PublishAsync(channel, "marker");
        await marker.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, Volatile.Read(ref asked));
    }
}
