using System.Buffers;
using CsCheck;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Protocols.Tests.Properties;

/// <summary>Round trips of the Engine.IO codec, and its parsers on arbitrary input.</summary>
public sealed class EngineCodecProperties
{
    private static readonly Gen<EnginePacket> TextPacket =
        Gen.Select(Gen.Enum<EnginePacketType>(), Gen.Byte.Array[0, 32], (type, data) => EnginePacket.Text(type, data));

    // A text packet's data may hold any byte but the record separator (the payload format has no escape).
    private static readonly Gen<EnginePacket> PayloadTextPacket =
        Gen.Select(Gen.Enum<EnginePacketType>(), Gen.Byte.Array[0, 32].Where(d => !d.Contains(EngineCodec.RecordSeparator)),
            (type, data) => EnginePacket.Text(type, data));

    private static readonly Gen<EnginePacket> BinaryPacket = Gen.Byte.Array[0, 32].Select(d => EnginePacket.Binary(d));

    private static readonly Gen<byte[]> PayloadInput = Gens.Input("\u001e", "b", "4", "2probe", "AAEC", "QUJD", "=", "==", "0{\"sid\":\"x\"}");

    [Fact]
    public void A_text_packet_reads_back_as_written()
    {
        TextPacket.Sample(packet =>
        {
            var encoded = EngineCodec.EncodeText(packet.Type, packet.Data.Span);
            var output = new ArrayBufferWriter<byte>(1);
            EngineCodec.WriteText(output, packet.Type, packet.Data.Span);
            Assert.Equal(encoded, output.WrittenSpan.ToArray());

            Assert.True(EngineCodec.TryParseText(encoded, out var parsed));
            AssertSame(packet, parsed);
            Assert.True(EngineCodec.TryParseTextCopy(encoded, out var copied));
            AssertSame(packet, copied);
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void A_polling_payload_reads_back_as_the_packets_written()
    {
        Gen.OneOf(PayloadTextPacket, BinaryPacket).Array[1, 8].Sample(packets =>
        {
            var parsed = new List<EnginePacket>();
            Assert.True(EngineCodec.TryParsePayload(Write(packets), parsed));
            Assert.Equal(packets.Length, parsed.Count);
            for (var i = 0; i < packets.Length; i++)
            {
                AssertSame(packets[i], parsed[i]);
            }
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void Text_parsers_never_throw_and_take_exactly_the_digits_0_to_6()
    {
        Gens.Input("0", "4", "6", "7", "/").Sample(bytes =>
        {
            var expected = bytes.Length > 0 && bytes[0] is >= (byte)'0' and <= (byte)'6';
            Assert.Equal(expected, EngineCodec.TryParseText(bytes, out _));
            Assert.Equal(expected, EngineCodec.TryParseTextCopy(bytes, out _));
        }, iter: Gens.Iterations);
    }

    [Fact]
    public void A_payload_that_parses_parses_the_same_once_written_again()
    {
        PayloadInput.Sample(bytes =>
        {
            var parsed = new List<EnginePacket>();
            if (!EngineCodec.TryParsePayload(bytes, parsed))
            {
                return;
            }
            var again = new List<EnginePacket>();
            Assert.True(EngineCodec.TryParsePayload(Write([.. parsed]), again));
            Assert.Equal(parsed.Count, again.Count);
            for (var i = 0; i < parsed.Count; i++)
            {
                AssertSame(parsed[i], again[i]);
            }
        }, iter: Gens.Iterations);
    }

    private static byte[] Write(EnginePacket[] packets)
    {
        var output = new ArrayBufferWriter<byte>(16);
        for (var i = 0; i < packets.Length; i++)
        {
            var encoded = packets[i].IsBinary ? packets[i].Data.ToArray() : EngineCodec.EncodeText(packets[i].Type, packets[i].Data.Span);
            EngineCodec.WritePayloadRecord(output, encoded, packets[i].IsBinary, first: i == 0);
        }
        return output.WrittenSpan.ToArray();
    }

    private static void AssertSame(EnginePacket expected, EnginePacket actual)
    {
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.IsBinary, actual.IsBinary);
        Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
    }
}
