using System.Collections.Concurrent;
using StackExchange.Redis;
using Switchboard.Channels;
using Switchboard.SocketIO;
using StreamPosition = Switchboard.Channels.StreamPosition;

namespace Switchboard.Redis.Tests.Cluster;

/// <summary>The nodes, recorders and counters the cluster bus tests share.</summary>
public sealed partial class RedisClusterBusTests
{
    private Task<(SocketServer Server, RedisClusterBus Bus)> NodeAsync(TimeSpan? heartbeat = null) =>
        _nodes.StartAsync(new RedisClusterOptions
        {
            Store = new RedisChannelStoreOptions { KeyPrefix = _prefix },
            HeartbeatInterval = heartbeat ?? new RedisClusterOptions().HeartbeatInterval,
        }, Timeout);

    /// <summary>Two nodes, a subscriber to "feed" on the second, and a first publication it has received.</summary>
    private async Task<(SocketServer A, RedisClusterBus BusB, Recorder OnB)> FeedOnSecondNodeAsync(bool expectDiscontinuity = false)
    {
        var (a, _) = await NodeAsync();
        var (b, busB) = await NodeAsync();
        var onB = new Recorder("b1", expectDiscontinuity);
        await b.Main.Channels.SubscribeAsync("feed", onB);
        await a.Main.Channels.PublishAsync(["feed"], "m", [1]);
        await onB.WaitForAsync(1);
        return (a, busB, onB);
    }

    /// <summary>Counts what is published to each node's inbox, through a connection of the test's own.</summary>
    private async Task<InboxCounter> CountInboxesAsync(params RedisClusterBus[] buses)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        _nodes.Own(connection);
        var counter = new InboxCounter();
        // One pattern subscription, one queue: its messages are handled in the order Redis sent them (a
        // queue per inbox would be handled concurrently, and "C's count is in" would prove nothing of B's).
        var inbox = _prefix + "inbox:";
        var nodes = buses.Select(b => b.NodeId).ToHashSet(StringComparer.Ordinal);
        var queue = await connection.GetSubscriber().SubscribeAsync(RedisChannel.Pattern(inbox + "*"));
        queue.OnMessage(message =>
        {
            var node = ((string)message.Channel!)[inbox.Length..];
            if (nodes.Contains(node))
            {
                counter.Add(node);
            }
        });
        return counter;
    }

    private static string Text(ChannelEntry entry) => System.Text.Encoding.UTF8.GetString(entry.Publication.Data.Span);

    private sealed class InboxCounter
    {
        private readonly ConcurrentDictionary<string, int> _counts = new();
        private readonly ConcurrentDictionary<(string, int), TaskCompletionSource> _waiters = new();

        public void Add(string node)
        {
            var count = _counts.AddOrUpdate(node, 1, (_, n) => n + 1);
            _waiters.GetOrAdd((node, count), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public int Count(string node) => _counts.GetValueOrDefault(node);

        public Task WaitAsync(string node, int count) =>
            _waiters.GetOrAdd((node, count), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(Timeout);
    }

    /// <summary>Records what it is delivered; a discontinuity fails the test unless <paramref name="expectDiscontinuity"/>.</summary>
    private sealed class Recorder(string id, bool expectDiscontinuity = false) : IChannelSubscriber
    {
        private readonly List<ChannelEntry> _entries = [];

        /// <summary>Each discontinuity, with the number of entries delivered before it.</summary>
        public List<(string Channel, StreamPosition From, int After)> Discontinuities { get; } = [];
        private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

        public string ConnectionId => id;

        public IReadOnlyList<ChannelEntry> Entries
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
                foreach (var (count, done) in _waiters)
                {
                    if (_entries.Count >= count)
                    {
                        done.TrySetResult();
                    }
                }
            }
        }

        public void Discontinuity(string channel, StreamPosition top)
        {
            if (!expectDiscontinuity)
            {
                throw new InvalidOperationException($"Unexpected discontinuity on {channel}");
            }
            lock (_entries)
            {
                Discontinuities.Add((channel, top, _entries.Count));
            }
        }

        public async Task<IReadOnlyList<ChannelEntry>> WaitForAsync(int count)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_entries)
            {
                if (_entries.Count >= count)
                {
                    return [.. _entries];
                }
                _waiters.Add((count, done));
            }
            await done.Task.WaitAsync(Timeout);
            return Entries;
        }
    }

    /// <summary>A subscriber whose first delivery blocks (the node's inbox with it) until the gate opens.</summary>
    private sealed class Blocker(SemaphoreSlim gate) : IChannelSubscriber
    {
        private readonly TaskCompletionSource _blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Blocked => _blocked.Task;

        public string ConnectionId => "blocker";

        public void Deliver(in ChannelEntry entry)
        {
            _blocked.TrySetResult();
            gate.Wait(Timeout);
        }

        public void Discontinuity(string channel, StreamPosition top)
        {
        }
    }
}
