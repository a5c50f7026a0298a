using System.Buffers;
using Switchboard.Protocols.EngineIO;
using static Switchboard.Fuzz.FuzzCheckException;

namespace Switchboard.Fuzz.Targets;

/// <summary>
/// Engine.IO v3 (docs/engine-io-v3.md): the input as a text polling payload, as a binary one, as one
/// WebSocket text message and as one binary message. A payload that parses must read the same once
/// written again in its own framing.
/// </summary>
internal static class EngineV3PayloadTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var bytes = input.ToArray();
        EngineCodecV3.TryParseText(bytes, out _);
        EngineCodecV3.TryParseBinaryMessage(input, out _);

        var packets = new List<EnginePacket>();
        // Only empty records ("0:") parse to no packet at all: nothing to write again.
        if (EngineCodecV3.TryParseTextPayload(bytes, packets) && packets.Count > 0)
        {
            var output = new ArrayBufferWriter<byte>(bytes.Length + 16);
            foreach (var packet in packets)
            {
                EngineCodecV3.WriteTextRecord(output, Encode(packet), packet.IsBinary);
            }
            CheckSame(packets, EngineCodecV3.TryParseTextPayload, output.WrittenMemory, "text");
        }

        packets.Clear();
        if (EngineCodecV3.TryParseBinaryPayload(bytes, packets))
        {
            var output = new ArrayBufferWriter<byte>(bytes.Length + 16);
            foreach (var packet in packets)
            {
                EngineCodecV3.WriteBinaryRecord(output, Encode(packet), packet.IsBinary);
            }
            CheckSame(packets, EngineCodecV3.TryParseBinaryPayload, output.WrittenMemory, "binary");
        }
    }

    private static byte[] Encode(EnginePacket packet) =>
        packet.IsBinary ? packet.Data.ToArray() : EngineCodec.EncodeText(packet.Type, packet.Data.Span);

    private delegate bool Parser(ReadOnlyMemory<byte> payload, List<EnginePacket> packets);

    private static void CheckSame(List<EnginePacket> packets, Parser parse, ReadOnlyMemory<byte> written, string framing)
    {
        var again = new List<EnginePacket>();
        Check(parse(written, again), $"a {framing} payload written from parsed packets does not parse");
        Check(again.Count == packets.Count, $"a {framing} payload written again has another number of packets");
        for (var i = 0; i < packets.Count; i++)
        {
            Check(again[i].Type == packets[i].Type && again[i].IsBinary == packets[i].IsBinary && again[i].Data.Span.SequenceEqual(packets[i].Data.Span),
                $"packet {i} of a {framing} payload differs once written again");
        }
    }
}
