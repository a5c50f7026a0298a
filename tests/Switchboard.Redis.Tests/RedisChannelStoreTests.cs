using System.Text;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.SocketIO;
using StreamPosition = Switchboard.Channels.StreamPosition;

namespace Switchboard.Redis.Tests;

/// <summary>What only the Redis store does: durable epochs, its key layout, configuration, several nodes on one Redis.</summary>
public sealed class RedisChannelStoreTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly HistoryPolicy Policy = new() { Size = 10, Ttl = TimeSpan.FromMinutes(2) };
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Keys_entries_and_meta_follow_the_documented_layout()
    {
        var store = new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = "layout:", TimeProvider = _clock });
        var time = _clock.GetUtcNow().AddTicks(1230);
        var publication = Publication.FromStored(7, "chat", """["hi"]"""u8.ToArray(), ["muted"], "conn-1", time);

        var position = await store.AppendAsync("/chat:eu", "room:1", publication, Policy);

        var database = redis.Connection.GetDatabase();
        RedisKey log = "layout:{/chat%3Aeu:room:1}:log", meta = "layout:{/chat%3Aeu:room:1}:meta";
        Assert.Equal(RedisType.Stream, await database.KeyTypeAsync(log));
        Assert.Equal(RedisType.Hash, await database.KeyTypeAsync(meta));
        Assert.Equal(redis.Connection.HashSlot(log), redis.Connection.HashSlot(meta));
        var hash = (await database.HashGetAllAsync(meta)).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        Assert.Equal(new Dictionary<string, string>
        {
            ["epoch"] = position.Epoch,
            ["top"] = "1",
            ["trimmed"] = "0",
            ["bytes"] = "73",
            ["ttl"] = "120000000",
        }, hash);
        var entry = Assert.Single(await database.StreamRangeAsync(log));
        Assert.Equal("1-0", (string)entry.Id!);
        Assert.Equal(
            [("seq", "7"), ("time", ((time - DateTimeOffset.UnixEpoch).Ticks / 10).ToString(System.Globalization.CultureInfo.InvariantCulture)),
             ("event", "chat"), ("args", """["hi"]"""), ("except", """["muted"]"""), ("publisher", "conn-1")],
            entry.Values.Select(v => ((string)v.Name!, (string)v.Value!)));

        // Past the size, the oldest entry goes and the meta keeps its seq.
        for (var seq = 8; seq <= 17; seq++)
        {
            await store.AppendAsync("/chat:eu", "room:1", Publication.FromStored(seq, "chat", "[]"u8.ToArray(), [], null, time), Policy);
        }
        Assert.Equal(10, await database.StreamLengthAsync(log));
        Assert.Equal("2-0", (string)(await database.StreamRangeAsync(log, count: 1))[0].Id!);
        Assert.Equal("7", (string)(await database.HashGetAsync(meta, "trimmed"))!);
        Assert.Equal("11", (string)(await database.HashGetAsync(meta, "top"))!);
    }

    [Fact]
    public async Task A_new_store_over_the_same_redis_keeps_the_epoch_and_the_history()
    {
        var options = new RedisChannelStoreOptions { KeyPrefix = "durable:", TimeProvider = _clock };
        StreamPosition written;
        await using (var first = RedisChannelStore.Connect(redis.Endpoint, options))
        {
            await first.AppendAsync("/", "room", Publish(1), Policy);
            written = await first.AppendAsync("/", "room", Publish(2), Policy);
        }

        await using var second = RedisChannelStore.Connect(redis.Endpoint, options);
        var position = await second.GetPositionAsync("/", "room");
        var read = await second.ReadAsync("/", "room", new StreamPosition(1, written.Epoch), 10);
        var appended = await second.AppendAsync("/", "room", Publish(3), Policy);

        Assert.Equal(written, position);
        Assert.True(read.Continuous);
        Assert.Equal([2L], read.Entries.Select(e => e.Publication.Seq));
        Assert.Equal(new StreamPosition(3, written.Epoch), appended);
    }

    [Fact]
    public async Task Losing_the_keys_to_a_flush_changes_the_epoch_so_old_positions_are_discontinuities()
    {
        var store = new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = "flush:", TimeProvider = _clock });
        await store.AppendAsync("/", "room", Publish(1), Policy);
        var before = await store.AppendAsync("/", "room", Publish(2), Policy);

        await redis.Connection.GetServer(redis.Endpoint).FlushAllDatabasesAsync();
        var afterFlush = await store.GetPositionAsync("/", "room");
        var read = await store.ReadAsync("/", "room", before, 10);
        var appended = await store.AppendAsync("/", "room", Publish(3), Policy);

        Assert.NotEqual(before.Epoch, afterFlush.Epoch);
        Assert.Equal(0, afterFlush.Offset);
        Assert.False(read.Continuous);
        Assert.Equal(afterFlush, read.Top);
        Assert.Equal(new StreamPosition(1, afterFlush.Epoch), appended);
    }

    [Fact]
    public async Task A_channel_whose_stream_was_lost_comes_back_with_a_new_epoch()
    {
        var store = new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = "lost:", TimeProvider = _clock });
        await store.AppendAsync("/", "room", Publish(1), Policy);
        var before = await store.AppendAsync("/", "room", Publish(2), Policy);

        await redis.Connection.GetDatabase().KeyDeleteAsync("lost:{/:room}:log");
        var read = await store.ReadAsync("/", "room", before, 10);
        var afterSeq = await store.ReadAfterSeqAsync("/", "room", 1);

        Assert.False(read.Continuous);
        Assert.NotEqual(before.Epoch, read.Top.Epoch);
        Assert.Equal(0, read.Top.Offset);
        Assert.Equal(read.Top, afterSeq.Top);
        Assert.Equal(new StreamPosition(1, read.Top.Epoch), await store.AppendAsync("/", "room", Publish(3), Policy));
    }

    [Fact]
    public async Task A_channels_keys_expire_the_idle_period_after_its_history_and_its_last_use()
    {
        var database = redis.Connection.GetDatabase();
        var store = new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = "idle:", TimeProvider = _clock });
        var forever = new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = "forever:", TimeProvider = _clock, IdleChannelExpiry = null });

        // Appended now with a 2-minute TTL: history empty in 2 min, keys gone 1 min (the default) later.
        await store.AppendAsync("/", "room", Publish(1), Policy);
        var afterAppend = await TimesToLive(database, "idle:{/:room}");
        // 30 s later a read: the history is empty 90 s from now.
        _clock.Advance(TimeSpan.FromSeconds(30));
        await store.ReadAsync("/", "room", null, 10);
        var afterRead = await TimesToLive(database, "idle:{/:room}");
        // A channel only looked at: no history, so the idle period from now.
        await store.GetPositionAsync("/", "looked-at");
        var lookedAt = await database.KeyTimeToLiveAsync("idle:{/:looked-at}:meta");
        await forever.AppendAsync("/", "room", Publish(1), Policy);
        var kept = await TimesToLive(database, "forever:{/:room}");

        Assert.All(afterAppend, ttl => Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(170), TimeSpan.FromSeconds(180)));
        Assert.All(afterRead, ttl => Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(140), TimeSpan.FromSeconds(150)));
        Assert.InRange(lookedAt!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        Assert.All(kept, ttl => Assert.Null(ttl));
    }

    [Fact]
    public async Task Stores_with_different_key_prefixes_do_not_share_channels()
    {
        var blue = new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = "blue:", TimeProvider = _clock });
        var green = new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = "green:", TimeProvider = _clock });

        var inBlue = await blue.AppendAsync("/", "room", Publish(1), Policy);
        var inGreen = await green.GetPositionAsync("/", "room");

        Assert.Equal(1, inBlue.Offset);
        Assert.Equal(0, inGreen.Offset);
        Assert.NotEqual(inBlue.Epoch, inGreen.Epoch);
        Assert.Equal(RedisType.Stream, await redis.Connection.GetDatabase().KeyTypeAsync("blue:{/:room}:log"));
    }

    [Theory]
    [InlineData("sb{")]
    [InlineData("}sb:")]
    public void A_key_prefix_with_braces_is_rejected(string prefix) =>
        Assert.Throws<ArgumentException>(() => new RedisChannelStore(redis.Connection, new RedisChannelStoreOptions { KeyPrefix = prefix }));

    [Fact]
    public void A_configuration_string_gets_the_store_defaults_unless_it_says_otherwise()
    {
        var defaults = RedisChannelStore.ParseConfiguration("127.0.0.1:6379,password=secret");
        var explicitAbort = RedisChannelStore.ParseConfiguration("127.0.0.1:6379,abortConnect=true");

        Assert.False(defaults.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, defaults.BacklogPolicy);
        Assert.Equal("secret", defaults.Password);
        Assert.True(explicitAbort.AbortOnConnectFail);
    }

    [Fact]
    public async Task Two_nodes_on_one_redis_share_history_so_a_client_resumes_on_either()
    {
        var storeOptions = new RedisChannelStoreOptions { KeyPrefix = "nodes:" };
        await using var store = RedisChannelStore.Connect(redis.Endpoint, storeOptions);
        var otherStore = new RedisChannelStore(redis.Connection, storeOptions);
        using var node = new SocketServer(new SocketServerOptions(), channelStore: store);
        using var otherNode = new SocketServer(new SocketServerOptions(), channelStore: otherStore);

        var positions = new List<StreamPosition>();
        for (var i = 1; i <= 5; i++)
        {
            var result = await node.Of("/").Channels.PublishAsync(["room"], "n", [i]).AsTask().WaitAsync(Timeout);
            positions.Add(result.Positions["room"]);
        }
        var subscriber = new RecordingSubscriber();
        var top = await otherNode.Of("/").Channels.SubscribeAsync("room", subscriber, positions[1]).AsTask().WaitAsync(Timeout);

        Assert.Same(store, node.ChannelStore);
        Assert.Same(otherStore, otherNode.ChannelStore);
        Assert.Equal([1, 2, 3, 4, 5], positions.Select(p => p.Offset));
        Assert.Equal(positions[4], top);
        Assert.False(subscriber.Discontinuous);
        Assert.Equal([3L, 4L, 5L], subscriber.Entries.Select(e => e.Offset));
        Assert.Equal(["[3]", "[4]", "[5]"], subscriber.Entries.Select(e => Encoding.UTF8.GetString(e.Publication.ArgumentsJson.Span)));
        Assert.All(subscriber.Entries, e => Assert.Equal(positions[0].Epoch, e.Epoch));
    }

    private static async Task<TimeSpan?[]> TimesToLive(IDatabase database, string channelKeys) =>
        [await database.KeyTimeToLiveAsync(channelKeys + ":log"), await database.KeyTimeToLiveAsync(channelKeys + ":meta")];

    private Publication Publish(long seq) =>
        Publication.FromStored(seq, "message", Encoding.UTF8.GetBytes($"[{seq}]"), [], null, _clock.GetUtcNow());

    private sealed class RecordingSubscriber : IChannelSubscriber
    {
        private readonly List<ChannelEntry> _entries = [];

        public string ConnectionId => "recorder";

        public bool Discontinuous { get; private set; }

        public ChannelEntry[] Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public void Deliver(in ChannelEntry entry)
        {
            lock (_entries)
            {
                _entries.Add(entry);
            }
        }

        public void Discontinuity(string channel, StreamPosition top) => Discontinuous = true;
    }
}
