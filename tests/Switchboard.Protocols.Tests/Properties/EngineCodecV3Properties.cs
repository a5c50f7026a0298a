using System.Buffers;
using System.Text;
using CsCheck;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Protocols.Tests.Properties;

/// <summary>Round trips of the Engine.IO v3 payload framings, and their parsers on arbitrary input.</summary>
public sealed class EngineCodecV3Properties
{
    // Text packets are valid UTF-8, as every packet the server writes is: any string, astral characters included.
    private static readonly Gen<EnginePacket> TextPacket =
        Gen.Select(Gen.Enum<EnginePacketType>(), Gen.String[0, 24], (type, text) => EnginePacket.Text(type, Encoding.UTF8.GetBytes(text)));

    private static readonly Gen<EnginePacket> BinaryPacket = Gen.Byte.Array[0, 32].Select(d => EnginePacket.Binary(d));

    private static readonly Gen<EnginePacket[]> Packets = Gen.OneOf(TextPacket, BinaryPacket).Array[1, 8];

    [Fact]
    public void A_text_payload_reads_back_as_the_packets_written()
    {
        Packets.Sample(packets =>
        {
            var output = new ArrayBufferWriter<byte>(16);
            foreach (var packet in packets)
            {
                EngineCodecV3.WriteTextRecord(output, Encode(packet), packet.IsBinary);
            }
            AssertReadBack(packets, EngineCodecV3.TryParseTextPayload, output.WrittenMemory);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void A_binary_payload_reads_back_as_the_packets_written()
    {
        Packets.Sample(packets =>
        {
            var output = new ArrayBufferWriter<byte>(16);
            foreach (var packet in packets)
            {
                EngineCodecV3.WriteBinaryRecord(output, Encode(packet), packet.IsBinary);
            }
            AssertReadBack(packets, EngineCodecV3.TryParseBinaryPayload, output.WrittenMemory);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void Payload_parsers_never_throw()
    {
        Gens.Input("1:", "2:4", "0:", ":", "b4", "AQID", "=", "🌍", "é", "\u0000", "\u0001", "\u00ff").Sample(bytes =>
        {
            EngineCodecV3.TryParseTextPayload(bytes, []);
            EngineCodecV3.TryParseBinaryPayload(bytes, []);
            EngineCodecV3.TryParseBinaryMessage(bytes, out _);
            EngineCodecV3.TryParseText(bytes, out _);
        }, iter: Gens.Iterations);
    }

    private static byte[] Encode(EnginePacket packet) =>
        packet.IsBinary ? packet.Data.ToArray() : EngineCodec.EncodeText(packet.Type, packet.Data.Span);

    private delegate bool Parser(ReadOnlyMemory<byte> payload, List<EnginePacket> packets);

    private static void AssertReadBack(EnginePacket[] written, Parser parse, ReadOnlyMemory<byte> payload)
    {
        var parsed = new List<EnginePacket>();
        Assert.True(parse(payload, parsed));
        Assert.Equal(written.Length, parsed.Count);
        for (var i = 0; i < written.Length; i++)
        {
            Assert.Equal(written[i].Type, parsed[i].Type);
            Assert.Equal(written[i].IsBinary, parsed[i].IsBinary);
            Assert.Equal(written[i].Data.ToArray(), parsed[i].Data.ToArray());
        }
    }
}
