using System.Buffers;
using System.Text;
using Switchboard.Protocols.EngineIO;

namespace Switchboard.Protocols.Tests;

public class EngineCodecTests
{
    private static ReadOnlyMemory<byte> Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    [Theory]
    [InlineData("0{\"sid\":\"x\"}", EnginePacketType.Open, "{\"sid\":\"x\"}")]
    [InlineData("1", EnginePacketType.Close, "")]
    [InlineData("2", EnginePacketType.Ping, "")]
    [InlineData("2probe", EnginePacketType.Ping, "probe")]
    [InlineData("3", EnginePacketType.Pong, "")]
    [InlineData("3probe", EnginePacketType.Pong, "probe")]
    [InlineData("4hello é", EnginePacketType.Message, "hello é")]
    [InlineData("5", EnginePacketType.Upgrade, "")]
    [InlineData("6", EnginePacketType.Noop, "")]
    public void TryParseText_reads_every_packet_type_and_its_data(string wire, EnginePacketType type, string data)
    {
        Assert.True(EngineCodec.TryParseText(Utf8(wire), out var packet));

        Assert.Equal(type, packet.Type);
        Assert.Equal(data, Text(packet.Data));
        Assert.False(packet.IsBinary);
    }

    [Theory]
    [InlineData("7")]
    [InlineData("9data")]
    [InlineData("a")]
    [InlineData("/4")]
    [InlineData(" 4hello")]
    public void TryParseText_refuses_an_invalid_type_digit(string wire)
    {
        Assert.False(EngineCodec.TryParseText(Utf8(wire), out _));
    }

    [Theory]
    [InlineData("3", EnginePacketType.Pong, "")]
    [InlineData("4hello é", EnginePacketType.Message, "hello é")]
    [InlineData("2probe", EnginePacketType.Ping, "probe")]
    public void TryParseTextCopy_reads_the_same_packet_into_its_own_bytes(string wire, EnginePacketType type, string data)
    {
        var buffer = Encoding.UTF8.GetBytes(wire);

        Assert.True(EngineCodec.TryParseTextCopy(buffer, out var packet));
        buffer.AsSpan().Fill((byte)'x');

        Assert.Equal(type, packet.Type);
        Assert.Equal(data, Text(packet.Data));
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("a4")]
    public void TryParseTextCopy_refuses_what_TryParseText_refuses(string wire)
    {
        Assert.False(EngineCodec.TryParseTextCopy(Encoding.UTF8.GetBytes(wire), out _));
    }

    [Fact]
    public void TryParseText_refuses_empty_input()
    {
        Assert.False(EngineCodec.TryParseText(ReadOnlyMemory<byte>.Empty, out _));
    }

    [Fact]
    public void TryParsePayload_splits_records_on_the_record_separator()
    {
        var packets = new List<EnginePacket>();

        Assert.True(EngineCodec.TryParsePayload(Utf8("4hello\u001e2\u001e4wor,ld\u001e6"), packets));

        Assert.Equal(
            [(EnginePacketType.Message, "hello"), (EnginePacketType.Ping, ""), (EnginePacketType.Message, "wor,ld"), (EnginePacketType.Noop, "")],
            packets.Select(p => (p.Type, Text(p.Data))));
        Assert.All(packets, p => Assert.False(p.IsBinary));
    }

    [Fact]
    public void TryParsePayload_reads_a_single_record()
    {
        var packets = new List<EnginePacket>();

        Assert.True(EngineCodec.TryParsePayload(Utf8("4only"), packets));

        var packet = Assert.Single(packets);
        Assert.Equal(EnginePacketType.Message, packet.Type);
        Assert.Equal("only", Text(packet.Data));
    }

    [Fact]
    public void TryParsePayload_decodes_binary_records_from_base64()
    {
        var packets = new List<EnginePacket>();

        Assert.True(EngineCodec.TryParsePayload(Utf8("4text\u001ebAQID\u001eb/wAB/g=="), packets));

        Assert.Equal(3, packets.Count);
        Assert.False(packets[0].IsBinary);
        Assert.Equal("text", Text(packets[0].Data));
        Assert.True(packets[1].IsBinary);
        Assert.Equal(EnginePacketType.Message, packets[1].Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, packets[1].Data.ToArray());
        Assert.True(packets[2].IsBinary);
        Assert.Equal(new byte[] { 0xFF, 0x00, 0x01, 0xFE }, packets[2].Data.ToArray());
    }

    [Fact]
    public void TryParsePayload_reads_an_empty_binary_record_as_an_empty_message()
    {
        var packets = new List<EnginePacket>();

        Assert.True(EngineCodec.TryParsePayload(Utf8("b"), packets));

        var packet = Assert.Single(packets);
        Assert.True(packet.IsBinary);
        Assert.True(packet.Data.IsEmpty);
    }

    [Theory]
    [InlineData("b!!!!")]
    [InlineData("4ok\u001ebnot base64")]
    public void TryParsePayload_refuses_invalid_base64(string payload)
    {
        Assert.False(EngineCodec.TryParsePayload(Utf8(payload), []));
    }

    [Theory]
    [InlineData("")]
    [InlineData("4a\u001e\u001e4b")]
    [InlineData("4a\u001e")]
    [InlineData("4a\u001e9b")]
    public void TryParsePayload_refuses_empty_payloads_and_empty_or_invalid_records(string payload)
    {
        Assert.False(EngineCodec.TryParsePayload(Utf8(payload), []));
    }

    [Fact]
    public void WritePayloadRecord_writes_text_as_is_and_separates_following_records()
    {
        var output = new ArrayBufferWriter<byte>();

        EngineCodec.WritePayloadRecord(output, "4hello"u8, isBinary: false, first: true);
        EngineCodec.WritePayloadRecord(output, "2"u8, isBinary: false, first: false);
        EngineCodec.WritePayloadRecord(output, "4é"u8, isBinary: false, first: false);

        Assert.Equal("4hello\u001e2\u001e4é", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void WritePayloadRecord_writes_binary_as_b_and_base64()
    {
        var output = new ArrayBufferWriter<byte>();

        EngineCodec.WritePayloadRecord(output, [1, 2, 3], isBinary: true, first: true);
        EngineCodec.WritePayloadRecord(output, [0xFF, 0x00, 0x01, 0xFE], isBinary: true, first: false);
        EngineCodec.WritePayloadRecord(output, "4x"u8, isBinary: false, first: false);

        Assert.Equal("bAQID\u001eb/wAB/g==\u001e4x", Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void A_written_payload_parses_back_to_the_same_packets()
    {
        var output = new ArrayBufferWriter<byte>();
        var binary = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        EngineCodec.WritePayloadRecord(output, "4first"u8, isBinary: false, first: true);
        EngineCodec.WritePayloadRecord(output, binary, isBinary: true, first: false);
        EngineCodec.WritePayloadRecord(output, "3"u8, isBinary: false, first: false);
        var packets = new List<EnginePacket>();

        Assert.True(EngineCodec.TryParsePayload(output.WrittenMemory, packets));

        Assert.Equal(3, packets.Count);
        Assert.Equal("first", Text(packets[0].Data));
        Assert.Equal(binary, packets[1].Data.ToArray());
        Assert.Equal(EnginePacketType.Pong, packets[2].Type);
    }

    [Fact]
    public void WriteText_and_EncodeText_put_the_type_digit_before_the_data()
    {
        var output = new ArrayBufferWriter<byte>();

        EngineCodec.WriteText(output, EnginePacketType.Message, "hi"u8);

        Assert.Equal("4hi", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("2probe", Encoding.UTF8.GetString(EngineCodec.EncodeText(EnginePacketType.Ping, "probe"u8)));
        Assert.Equal("6", Encoding.UTF8.GetString(EngineCodec.EncodeText(EnginePacketType.Noop, default)));
    }
}
