using BenchmarkDotNet.Attributes;
using Switchboard.SocketIO;

namespace Switchboard.MicroBench;

/// <summary>
/// The JSON event encoder: a Socket.IO EVENT or ACK as its final Engine.IO bytes, once per packet
/// (<see cref="PacketEncoder"/>), for the argument kinds the bench and applications use.
/// </summary>
[MemoryDiagnoser]
public class EncoderBenchmarks
{
    private readonly object?[] _element = [Payloads.Element];
    private readonly object?[] _string = [Payloads.Text];
    private readonly object?[] _object = [Payloads.Object];
    private readonly object?[] _binary = ["file", new byte[256]];

    [Benchmark(Description = "event, a JSON element (the bench's publish)")]
    public EncodedPacket EventElement() => PacketEncoder.Event("/", "msg", _element);

    [Benchmark(Description = "event, a string")]
    public EncodedPacket EventString() => PacketEncoder.Event("/", "msg", _string);

    [Benchmark(Description = "event, a record (serializer)")]
    public EncodedPacket EventObject() => PacketEncoder.Event("/", "quote", _object);

    [Benchmark(Description = "event, a string and 256 binary bytes")]
    public EncodedPacket EventBinary() => PacketEncoder.Event("/", "upload", _binary);

    [Benchmark(Description = "ack, a JSON element")]
    public EncodedPacket AckElement() => PacketEncoder.Ack("/", 17, _element);
}
