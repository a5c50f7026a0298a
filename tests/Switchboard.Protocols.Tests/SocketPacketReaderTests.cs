using System.Text;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests;

public class SocketPacketReaderTests
{
    private static SocketPacket Parse(string wire)
    {
        Assert.True(SocketPacketReader.TryParse(Encoding.UTF8.GetBytes(wire), out var packet, out var error), $"'{wire}' was refused: {error}");
        Assert.Null(error);
        return packet;
    }

    private static string Refuse(string wire)
    {
        Assert.False(SocketPacketReader.TryParse(Encoding.UTF8.GetBytes(wire), out _, out var error), $"'{wire}' was accepted");
        Assert.False(string.IsNullOrEmpty(error));
        return error!;
    }

    private static string Data(SocketPacket packet) => Encoding.UTF8.GetString(packet.Data.Span);

    [Theory]
    [InlineData("0", SocketPacketType.Connect, "/", SocketPacket.NoAck, 0, "")]
    [InlineData("0{\"token\":\"abc\"}", SocketPacketType.Connect, "/", SocketPacket.NoAck, 0, "{\"token\":\"abc\"}")]
    [InlineData("0/admin,", SocketPacketType.Connect, "/admin", SocketPacket.NoAck, 0, "")]
    [InlineData("0/admin,{\"token\":\"abc\"}", SocketPacketType.Connect, "/admin", SocketPacket.NoAck, 0, "{\"token\":\"abc\"}")]
    [InlineData("1", SocketPacketType.Disconnect, "/", SocketPacket.NoAck, 0, "")]
    [InlineData("1/admin,", SocketPacketType.Disconnect, "/admin", SocketPacket.NoAck, 0, "")]
    [InlineData("2[\"hello\",1]", SocketPacketType.Event, "/", SocketPacket.NoAck, 0, "[\"hello\",1]")]
    [InlineData("2/admin,[\"hello\"]", SocketPacketType.Event, "/admin", SocketPacket.NoAck, 0, "[\"hello\"]")]
    [InlineData("213[\"hello\"]", SocketPacketType.Event, "/", 13L, 0, "[\"hello\"]")]
    [InlineData("2/admin,456[\"hello\",{\"a\":[1]}]", SocketPacketType.Event, "/admin", 456L, 0, "[\"hello\",{\"a\":[1]}]")]
    [InlineData("2[42,\"numeric name\"]", SocketPacketType.Event, "/", SocketPacket.NoAck, 0, "[42,\"numeric name\"]")]
    [InlineData("30[]", SocketPacketType.Ack, "/", 0L, 0, "[]")]
    [InlineData("3/admin,13[\"bar\",2]", SocketPacketType.Ack, "/admin", 13L, 0, "[\"bar\",2]")]
    [InlineData("4{\"message\":\"Not authorized\"}", SocketPacketType.ConnectError, "/", SocketPacket.NoAck, 0, "{\"message\":\"Not authorized\"}")]
    [InlineData("4/admin,\"Not authorized\"", SocketPacketType.ConnectError, "/admin", SocketPacket.NoAck, 0, "\"Not authorized\"")]
    [InlineData("51-[\"up\",{\"_placeholder\":true,\"num\":0}]", SocketPacketType.BinaryEvent, "/", SocketPacket.NoAck, 1, "[\"up\",{\"_placeholder\":true,\"num\":0}]")]
    [InlineData("52-/admin,7[\"up\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", SocketPacketType.BinaryEvent, "/admin", 7L, 2, "[\"up\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]")]
    [InlineData("61-15[{\"_placeholder\":true,\"num\":0}]", SocketPacketType.BinaryAck, "/", 15L, 1, "[{\"_placeholder\":true,\"num\":0}]")]
    [InlineData("62-/admin,3[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", SocketPacketType.BinaryAck, "/admin", 3L, 2, "[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]")]
    public void Reads_every_packet_type(string wire, SocketPacketType type, string nsp, long ackId, int attachments, string data)
    {
        var packet = Parse(wire);

        Assert.Equal(type, packet.Type);
        Assert.Equal(nsp, packet.Namespace);
        Assert.Equal(ackId, packet.AckId);
        Assert.Equal(ackId >= 0, packet.HasAck);
        Assert.Equal(attachments, packet.AttachmentCount);
        Assert.Equal(type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck, packet.IsBinary);
        Assert.Equal(data, Data(packet));
    }

    [Theory]
    [InlineData("0/admin", "/admin")]
    [InlineData("1/admin", "/admin")]
    [InlineData("0/a/b-c,", "/a/b-c")]
    public void Reads_a_namespace_without_a_trailing_comma_at_the_end_of_the_packet(string wire, string nsp)
    {
        var packet = Parse(wire);

        Assert.Equal(nsp, packet.Namespace);
        Assert.True(packet.Data.IsEmpty);
    }

    [Fact]
    public void Data_is_a_slice_of_the_input_not_a_copy()
    {
        ReadOnlyMemory<byte> input = Encoding.UTF8.GetBytes("2/admin,12[\"x\"]");

        Assert.True(SocketPacketReader.TryParse(input, out var packet, out _));

        Assert.True(input[^5..].Span == packet.Data.Span);
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("7[\"x\"]")]
    [InlineData("a")]
    [InlineData("a[\"x\"]")]
    [InlineData("/admin,")]
    public void Refuses_an_unknown_packet_type(string wire)
    {
        Assert.Equal("unknown packet type", Refuse(wire));
    }

    [Theory]
    [InlineData("2{}")]
    [InlineData("2\"hello\"")]
    [InlineData("242")]
    [InlineData("2[]")]
    [InlineData("2[null]")]
    [InlineData("2[{\"a\":1}]")]
    [InlineData("2[[\"nested\"]]")]
    [InlineData("2")]
    [InlineData("2/admin,")]
    public void Refuses_an_event_whose_payload_is_not_an_array_with_a_name(string wire)
    {
        Refuse(wire);
    }

    [Theory]
    [InlineData("2abc[\"x\"]")]
    [InlineData("21a[\"x\"]")]
    [InlineData("2/admin,1x2[\"x\"]")]
    [InlineData("31b[]")]
    public void Refuses_a_broken_ack_id(string wire)
    {
        Refuse(wire);
    }

    [Fact]
    public void Refuses_an_ack_id_too_long_to_be_a_number()
    {
        Assert.Equal("invalid ack id", Refuse("21234567890123456[\"x\"]"));
    }

    [Theory]
    [InlineData("5-[\"x\",{\"_placeholder\":true,\"num\":0}]")]
    [InlineData("6-1[{\"_placeholder\":true,\"num\":0}]")]
    [InlineData("5[\"x\",{\"_placeholder\":true,\"num\":0}]")]
    [InlineData("5[\"a-b\"]")]
    [InlineData("5x-[\"x\"]")]
    [InlineData("5")]
    [InlineData("51")]
    [InlineData("51001-[\"x\"]")]
    public void Refuses_a_binary_packet_without_a_valid_attachment_count(string wire)
    {
        Assert.Equal("illegal attachments", Refuse(wire));
    }

    [Theory]
    [InlineData("connect")]
    [InlineData("connect_error")]
    [InlineData("disconnect")]
    [InlineData("disconnecting")]
    [InlineData("newListener")]
    [InlineData("removeListener")]
    public void Refuses_reserved_event_names(string name)
    {
        Refuse($"2[\"{name}\"]");
        Refuse($"2/admin,1[\"{name}\",1]");
        Refuse($"51-[\"{name}\",{{\"_placeholder\":true,\"num\":0}}]");
    }

    [Fact]
    public void Accepts_event_names_that_only_resemble_reserved_ones()
    {
        Assert.Equal(SocketPacketType.Event, Parse("2[\"connected\"]").Type);
        Assert.Equal(SocketPacketType.Event, Parse("2[\"Connect\"]").Type);
    }

    [Theory]
    [InlineData("2[\"a\"]x")]
    [InlineData("2[\"a\"][\"b\"]")]
    [InlineData("2[\"a\"]]")]
    [InlineData("0{}{}")]
    [InlineData("3[1]2")]
    [InlineData("4{\"message\":\"x\"},")]
    public void Refuses_trailing_garbage_after_the_json(string wire)
    {
        Assert.Equal("invalid payload", Refuse(wire));
    }

    [Theory]
    [InlineData("2[\"a\"")]
    [InlineData("2[\"a\",]")]
    [InlineData("2[\"a\",{]")]
    [InlineData("0{\"a\":}")]
    [InlineData("3[")]
    public void Refuses_malformed_json(string wire)
    {
        Assert.Equal("invalid payload", Refuse(wire));
    }

    [Theory]
    [InlineData("1{}")]
    [InlineData("1[]")]
    [InlineData("1/admin,\"bye\"")]
    public void Refuses_a_disconnect_with_a_payload(string wire)
    {
        Assert.Equal("invalid payload", Refuse(wire));
    }

    [Theory]
    [InlineData("0[\"a\"]")]
    [InlineData("0/admin,[]")]
    [InlineData("0\"token\"")]
    public void Refuses_a_connect_whose_payload_is_not_an_object(string wire)
    {
        Refuse(wire);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("31")]
    [InlineData("31{}")]
    [InlineData("61-1{}")]
    public void Refuses_an_ack_whose_payload_is_not_an_array(string wire)
    {
        Assert.Equal("invalid payload", Refuse(wire));
    }

    [Theory]
    [InlineData("4[]")]
    [InlineData("442[\"x\"]")]
    [InlineData("4/admin,42")]
    public void Refuses_a_connect_error_that_is_neither_an_object_nor_a_string(string wire)
    {
        Assert.Equal("invalid payload", Refuse(wire));
    }

    [Fact]
    public void Accepts_json_nested_exactly_to_the_limit()
    {
        var depth = JsonLimits.MaxDepth;
        Parse("2[\"x\"," + new string('[', depth - 1) + new string(']', depth - 1) + "]");
        Parse("0/a," + string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1));
    }

    [Theory]
    [InlineData("0/deep,", SocketPacketType.Connect, "/deep")]
    [InlineData("2", SocketPacketType.Event, "/")]
    public void Reports_json_nested_past_the_limit_as_too_deep_with_the_packet_type_and_namespace(string head, SocketPacketType type, string nsp)
    {
        var depth = JsonLimits.MaxDepth + 1;
        var json = type == SocketPacketType.Connect
            ? string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1)
            : "[\"x\"," + new string('[', depth - 1) + new string(']', depth - 1) + "]";

        Assert.False(SocketPacketReader.TryParse(Encoding.UTF8.GetBytes(head + json), out var packet, out var error));

        Assert.Equal(SocketPacketReader.PayloadTooDeep, error);
        Assert.Equal(type, packet.Type);
        Assert.Equal(nsp, packet.Namespace);
    }

    [Fact]
    public void Reports_malformed_json_as_invalid_not_too_deep()
    {
        Assert.Equal("invalid payload", Refuse("0{\"a\":"));
    }
}
