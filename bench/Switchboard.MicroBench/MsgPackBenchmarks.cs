using BenchmarkDotNet.Attributes;
using Switchboard.Protocols.SocketIO;
using Switchboard.SocketIO;

namespace Switchboard.MicroBench;

/// <summary>
/// What the msgpack parser adds (docs/parsers.md): per broadcast, the transcoding of the JSON packet
/// into socket.io-msgpack-parser's format (once, whatever the number of recipients); per received
/// packet, the transcoding into JSON, next to the JSON parser's own validation of the same packet.
/// </summary>
[MemoryDiagnoser]
public class MsgPackBenchmarks
{
    private readonly EncodedPacket _string = PacketEncoder.Event("/", "msg", [Payloads.Text]);
    private readonly EncodedPacket _object = PacketEncoder.Event("/", "quote", [Payloads.Object]);
    private readonly EncodedPacket _binary = PacketEncoder.Event("/", "upload", ["file", new byte[256]]);
    private readonly ReadOnlyMemory<byte> _echoText = Payloads.EchoMessage.AsMemory(1);
    private readonly byte[] _echoMsgPack = MsgPackSocketParser.Encode(PacketEncoder.Event("/", "echo", [Payloads.Text], 17));

    [Benchmark(Description = "send: transcode an event with a string")]
    public byte[] TranscodeString() => MsgPackSocketParser.Encode(_string);

    [Benchmark(Description = "send: transcode an event with a record")]
    public byte[] TranscodeObject() => MsgPackSocketParser.Encode(_object);

    [Benchmark(Description = "send: transcode an event with 256 binary bytes")]
    public byte[] TranscodeBinary() => MsgPackSocketParser.Encode(_binary);

    [Benchmark(Description = "receive: JSON parser, validate an echo")]
    public bool ReceiveJson() => SocketPacketReader.TryParse(_echoText, out _, out _);

    [Benchmark(Description = "receive: msgpack parser, transcode an echo")]
    public bool ReceiveMsgPack() => MsgPackPacketReader.TryRead(_echoMsgPack, out _, out _, out _);
}
