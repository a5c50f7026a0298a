using BenchmarkDotNet.Attributes;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.MicroBench;

/// <summary>
/// The broadcast path without the network: a room emit encoded once and queued for each of N
/// in-memory Engine.IO sessions (real sessions, Socket.IO clients and sockets, no transport), then
/// taken off every queue as a transport's writer would. Per operation: one emit to N recipients.
/// </summary>
[MemoryDiagnoser]
public class BroadcastBenchmarks
{
    private SocketServer _io = null!;
    private EngineSession[] _sessions = [];
    private readonly EmitArgs _args = [Payloads.Element];

    [Params(10, 1000, 10000)]
    public int Recipients { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new SocketServerOptions();
        // No heartbeat or connect deadline during a run.
        options.Engine.PingInterval = TimeSpan.FromHours(1);
        options.Engine.PingTimeout = TimeSpan.FromHours(1);
        options.ConnectTimeout = TimeSpan.FromHours(1);
        _io = new SocketServer(options);
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

    [Benchmark(Description = "room emit to N sockets, queued and taken off each queue")]
    public async Task RoomEmit()
    {
        await _io.Main.To("room").EmitAsync("msg", _args);
        Drain();
    }

    [Benchmark(Description = "volatile room emit (no history) to N sockets, queued and taken off")]
    public async Task VolatileRoomEmit()
    {
        await _io.Main.To("room").Volatile.EmitAsync("msg", _args);
        Drain();
    }

    private int Drain()
    {
        var frames = 0;
        foreach (var session in _sessions)
        {
            while (session.Outbound.TryRead(out _))
            {
                frames++;
            }
        }
        return frames;
    }
}
