using System.Buffers;
using System.Text;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Protocols.Tests;

public class EngineCodecV3Tests
{
    private static ReadOnlyMemory<byte> Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    private static List<EnginePacket> ParseText(string payload)
    {
        var packets = new List<EnginePacket>();
        Assert.True(EngineCodecV3.TryParseTextPayload(Utf8(payload), packets), payload);
        return packets;
    }

    [Fact]
    public void A_text_payload_is_split_by_its_length_prefixes()
    {
        var packets = ParseText("2:40" + "1:2" + "14:42[\"a\",\"x:1:\"]");

        Assert.Equal(3, packets.Count);
        Assert.Equal((EnginePacketType.Message, "0"), (packets[0].Type, Text(packets[0].Data)));
        Assert.Equal((EnginePacketType.Ping, ""), (packets[1].Type, Text(packets[1].Data)));
        Assert.Equal("2[\"a\",\"x:1:\"]", Text(packets[2].Data));
    }

    [Theory]
    [InlineData("4é", 2)] // one UTF-16 unit in two UTF-8 bytes
    [InlineData("4€", 2)] // one unit in three bytes
    [InlineData("4🌍", 3)] // two units (a surrogate pair) in four bytes
    [InlineData("4a🌍é€b", 7)]
    public void Lengths_count_UTF16_code_units_as_JavaScript_does(string packet, int length)
    {
        var packets = ParseText($"{length}:{packet}1:6");

        Assert.Equal(2, packets.Count);
        Assert.Equal(packet[1..], Text(packets[0].Data));
        Assert.Equal(EnginePacketType.Noop, packets[1].Type);
    }

    [Fact]
    public void An_empty_record_is_skipped()
    {
        var packets = ParseText("0:1:2");

        Assert.Equal(EnginePacketType.Ping, Assert.Single(packets).Type);
    }

    [Fact]
    public void A_base64_record_is_a_binary_message()
    {
        var packets = ParseText("10:b4AQID/w==");

        var packet = Assert.Single(packets);
        Assert.True(packet.IsBinary);
        Assert.Equal(EnginePacketType.Message, packet.Type);
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, packet.Data.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("42")] // no length
    [InlineData(":42")]
    [InlineData("3:42")] // longer than what follows
    [InlineData("2:42extra")] // "extra" is no record
    [InlineData("x:42")]
    [InlineData("1:9")] // no such packet type
    [InlineData("2:4🌍")] // the length ends inside a surrogate pair
    [InlineData("99999999999:4")]
    [InlineData("5:b4@@@")] // not base64
    [InlineData("6:b2AQI=")] // a binary packet that is not a message
    public void A_malformed_text_payload_is_refused_whole(string payload)
    {
        var packets = new List<EnginePacket>();

        Assert.False(EngineCodecV3.TryParseTextPayload(Utf8(payload), packets));
    }

    [Fact]
    public void Invalid_UTF8_in_a_counted_record_is_refused()
    {
        var payload = Encoding.ASCII.GetBytes("2:4").Concat(new byte[] { 0xC3 }).ToArray();

        Assert.False(EngineCodecV3.TryParseTextPayload(payload, []));
    }

    [Fact]
    public void A_binary_payload_holds_text_and_binary_records()
    {
        // Text "42[\"é\"]" (8 UTF-8 bytes), then binary {4, 1, 2, 3} (4 bytes with the type byte).
        byte[] payload =
        [
            0, 8, 0xFF, .. Encoding.UTF8.GetBytes("42[\"é\"]"),
            1, 4, 0xFF, 4, 1, 2, 3,
        ];
        var packets = new List<EnginePacket>();

        Assert.True(EngineCodecV3.TryParseBinaryPayload(payload, packets));

        Assert.Equal(2, packets.Count);
        Assert.Equal("2[\"é\"]", Text(packets[0].Data));
        Assert.False(packets[0].IsBinary);
        Assert.True(packets[1].IsBinary);
        Assert.Equal(new byte[] { 1, 2, 3 }, packets[1].Data.ToArray());
    }

    [Fact]
    public void A_binary_payload_length_may_take_several_digits()
    {
        var data = Enumerable.Range(0, 120).Select(i => (byte)i).ToArray();
        byte[] payload = [1, 1, 2, 1, 0xFF, 4, .. data];
        var packets = new List<EnginePacket>();

        Assert.True(EngineCodecV3.TryParseBinaryPayload(payload, packets));

        Assert.Equal(data, Assert.Single(packets).Data.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 2, 1, 0xFF, 0x34 })] // neither text nor binary
    [InlineData(new byte[] { 0, 0xFF, 0x34 })] // no length digits
    [InlineData(new byte[] { 0, 1, 0x34 })] // no 0xFF
    [InlineData(new byte[] { 0, 10, 0xFF, 0x34 })] // a "digit" above 9
    [InlineData(new byte[] { 0, 3, 0xFF, 0x34 })] // shorter than its length
    [InlineData(new byte[] { 1, 2, 0xFF, 2, 1 })] // a binary record that is not a message
    [InlineData(new byte[] { 0, 1, 0xFF, 0x39 })] // text with no such packet type
    public void A_malformed_binary_payload_is_refused_whole(byte[] payload)
    {
        Assert.False(EngineCodecV3.TryParseBinaryPayload(payload, []));
    }

    [Fact]
    public void Text_records_are_written_with_their_UTF16_length()
    {
        var output = new ArrayBufferWriter<byte>();

        EngineCodecV3.WriteTextRecord(output, Utf8("42[\"🌍é\"]").Span, isBinary: false);
        EngineCodecV3.WriteTextRecord(output, Utf8("2").Span, isBinary: false);

        Assert.Equal("9:42[\"🌍é\"]1:2", Text(output.WrittenMemory));
    }

    [Fact]
    public void Binary_messages_in_a_text_payload_are_base64_with_their_type()
    {
        var output = new ArrayBufferWriter<byte>();

        EngineCodecV3.WriteTextRecord(output, new byte[] { 1, 2, 3, 255 }, isBinary: true);

        Assert.Equal("10:b4AQID/w==", Text(output.WrittenMemory));
    }

    [Fact]
    public void Binary_payload_records_carry_the_kind_the_length_digits_and_the_type_byte()
    {
        var output = new ArrayBufferWriter<byte>();
        var big = new byte[11];

        EngineCodecV3.WriteBinaryRecord(output, Utf8("40").Span, isBinary: false);
        EngineCodecV3.WriteBinaryRecord(output, big, isBinary: true);

        byte[] expected = [0, 2, 0xFF, (byte)'4', (byte)'0', 1, 1, 2, 0xFF, 4, .. big];
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void What_is_written_reads_back()
    {
        var output = new ArrayBufferWriter<byte>();
        EngineCodecV3.WriteBinaryRecord(output, Utf8("42[\"x\"]").Span, isBinary: false);
        EngineCodecV3.WriteBinaryRecord(output, new byte[] { 7, 8 }, isBinary: true);
        var text = new ArrayBufferWriter<byte>();
        EngineCodecV3.WriteTextRecord(text, Utf8("42[\"🌍\"]").Span, isBinary: false);
        EngineCodecV3.WriteTextRecord(text, new byte[] { 7, 8 }, isBinary: true);
        var fromBinary = new List<EnginePacket>();
        var fromText = new List<EnginePacket>();

        Assert.True(EngineCodecV3.TryParseBinaryPayload(output.WrittenMemory, fromBinary));
        Assert.True(EngineCodecV3.TryParseTextPayload(text.WrittenMemory, fromText));

        Assert.Equal("2[\"x\"]", Text(fromBinary[0].Data));
        Assert.Equal(new byte[] { 7, 8 }, fromBinary[1].Data.ToArray());
        Assert.Equal("2[\"🌍\"]", Text(fromText[0].Data));
        Assert.Equal(new byte[] { 7, 8 }, fromText[1].Data.ToArray());
    }

    [Fact]
    public void WebSocket_binary_messages_carry_the_message_type_byte()
    {
        Assert.Equal(new byte[] { 4, 9, 9 }, EngineCodecV3.EncodeBinaryMessage([9, 9]));
        Assert.Equal("b4CQk=", Encoding.ASCII.GetString(EngineCodecV3.EncodeBase64Message([9, 9])));

        Assert.True(EngineCodecV3.TryParseBinaryMessage([4, 9, 9], out var packet));
        Assert.True(packet.IsBinary);
        Assert.Equal(new byte[] { 9, 9 }, packet.Data.ToArray());
        Assert.False(EngineCodecV3.TryParseBinaryMessage([], out _));
        Assert.False(EngineCodecV3.TryParseBinaryMessage([2, 9], out _));
    }

    [Fact]
    public void A_WebSocket_text_message_may_be_a_base64_binary_message()
    {
        Assert.True(EngineCodecV3.TryParseText(Utf8("b4CQk="), out var binary));
        Assert.True(binary.IsBinary);
        Assert.Equal(new byte[] { 9, 9 }, binary.Data.ToArray());

        Assert.True(EngineCodecV3.TryParseText(Utf8("42[\"a\"]"), out var text));
        Assert.Equal((EnginePacketType.Message, false), (text.Type, text.IsBinary));

        Assert.False(EngineCodecV3.TryParseText(Utf8("b"), out _));
        Assert.False(EngineCodecV3.TryParseText(Utf8("b4!"), out _));
    }
}
