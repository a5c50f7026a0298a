using BenchmarkDotNet.Attributes;
using Switchboard.Channels;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.MicroBench;

/// <summary>
/// One publication through a namespace's order, per operation (docs/performance.md, "The publish path on
/// many cores"; issue 14's S2 regression): a hub publish to N in-process channel subscribers that only
/// count, and a room emit to N Socket.IO sockets (real sessions, no transport) taken off their queues as a
/// writer would. What it allocates per publication is what to compare between builds; the time is noisy
/// on a shared machine.
/// </summary>
[MemoryDiagnoser]
public class PublishPathBenchmarks
{
    private SocketServer _io = null!;
    private ChannelHub _hub = null!;
    private EngineSession[] _sessions = [];
    private readonly string[] _channel = ["prices"];
    private readonly object?[] _args = [Payloads.Element];
    private readonly EmitArgs _emitArgs = [Payloads.Element];

    [Params(0, 1000)]
    public int Recipients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new SocketServerOptions();
        options.Engine.PingInterval = TimeSpan.FromHours(1);
        options.Engine.PingTimeout = TimeSpan.FromHours(1);
        options.ConnectTimeout = TimeSpan.FromHours(1);
        _io = new SocketServer(options);
        _hub = _io.Of("/hub").Channels;
        for (var i = 0; i < Recipients; i++)
        {
            _hub.SubscribeAsync("prices", new Counter($"c{i}")).AsTask().GetAwaiter().GetResult();
        }
        _io.Main.OnConnection(socket => socket.Join("room"));
        var request = new EngineRequest("/socket.io/?EIO=4&transport=websocket",
            new Dictionary<string, string>(), new Dictionary<string, string>(), null, false, DateTimeOffset.UtcNow);
        _sessions = new EngineSession[Recipients];
        for (var i = 0; i < Recipients; i++)
        {
            _sessions[i] = _io.Engine.Open(EngineTransportKind.WebSocket, request);
            _sessions[i].Receive(EnginePacket.Text(EnginePacketType.Message, "0"u8.ToArray()));
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_io.Main.Sockets.Count < Recipients)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{_io.Main.Sockets.Count} of {Recipients} sockets connected.");
            }
            Thread.Yield();
        }
        Drain();
    }

    [GlobalCleanup]
    public void Cleanup() => _io.Dispose();

    [Benchmark(Description = "hub publish to N counting channel subscribers")]
    public ValueTask<PublishResult> HubPublish() => _hub.PublishAsync(_channel, "msg", _args);

    [Benchmark(Description = "room emit to N sockets, queued and taken off each queue")]
    public async Task RoomEmit()
    {
        await _io.Main.To("room").EmitAsync("msg", _emitArgs);
        Drain();
    }

    private void Drain()
    {
        foreach (var session in _sessions)
        {
            while (session.Outbound.TryRead(out _))
            {
            }
        }
    }

    private sealed class Counter(string id) : IChannelSubscriber
    {
        private long _count;

        public string ConnectionId => id;

        public void Deliver(in ChannelEntry entry) => _count++;

        public void Discontinuity(string channel, StreamPosition top)
        {
        }
    }
}
