using System.Buffers;
using BenchmarkDotNet.Attributes;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.MicroBench;

/// <summary>The pure wire codecs: Engine.IO packets and polling payloads, Socket.IO packet headers.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly List<EnginePacket> _packets = new(8);
    private readonly byte[] _header = new byte[64];
    private ReadOnlyMemory<byte> _payload;
    private ReadOnlyMemory<byte> _socketPacket;

    [GlobalSetup]
    public void Setup()
    {
        var writer = new ArrayBufferWriter<byte>();
        EngineCodec.WritePayloadRecord(writer, Payloads.BroadcastMessage, isBinary: false, first: true);
        EngineCodec.WritePayloadRecord(writer, "2"u8, isBinary: false, first: false);
        EngineCodec.WritePayloadRecord(writer, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, isBinary: true, first: false);
        _payload = writer.WrittenMemory.ToArray();
        _socketPacket = Payloads.EchoMessage.AsMemory(1);
    }

    [Benchmark(Description = "Engine.IO: parse a text packet (slice)")]
    public bool EngineParseText() => EngineCodec.TryParseText(Payloads.EchoMessage, out _);

    [Benchmark(Description = "Engine.IO: parse a text packet out of a reused buffer (copy)")]
    public bool EngineParseTextCopy() => EngineCodec.TryParseTextCopy(Payloads.EchoMessage, out _);

    [Benchmark(Description = "Engine.IO: copy the whole message, then parse it (the read loop before)")]
    public bool EngineCopyThenParse() => EngineCodec.TryParseText(Payloads.EchoMessage.AsSpan().ToArray(), out _);

    [Benchmark(Description = "Engine.IO: parse a pong out of a reused buffer")]
    public bool EngineParsePong() => EngineCodec.TryParseTextCopy("3"u8, out _);

    [Benchmark(Description = "Engine.IO: split a polling payload of 3 records")]
    public int EngineParsePayload()
    {
        _packets.Clear();
        EngineCodec.TryParsePayload(_payload, _packets);
        return _packets.Count;
    }

    [Benchmark(Description = "Engine.IO: write a polling payload of 3 records")]
    public int EngineWritePayload()
    {
        _output.ResetWrittenCount();
        EngineCodec.WritePayloadRecord(_output, Payloads.BroadcastMessage, isBinary: false, first: true);
        EngineCodec.WritePayloadRecord(_output, "2"u8, isBinary: false, first: false);
        EngineCodec.WritePayloadRecord(_output, _payload.Span[..8], isBinary: true, first: false);
        return _output.WrittenCount;
    }

    [Benchmark(Description = "Socket.IO: parse and validate an event with an ack id")]
    public bool SocketParseEvent() => SocketPacketReader.TryParse(_socketPacket, out _, out _);

    [Benchmark(Description = "Socket.IO: write a packet header")]
    public int SocketWriteHeader() => SocketPacketWriter.WriteHeader(_header, SocketPacketType.Event, "/chat", 12345, 0);
}
