using System.Buffers;
using System.Text;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests;

public class SocketPacketWriterTests
{
    private static string Header(SocketPacketType type, string nsp, long ackId = SocketPacket.NoAck, int attachments = 0)
    {
        var output = new ArrayBufferWriter<byte>();
        SocketPacketWriter.WriteHeader(output, type, nsp, ackId, attachments);
        var viaSpan = new byte[SocketPacketWriter.GetHeaderLength(nsp, ackId, attachments)];
        var n = SocketPacketWriter.WriteHeader(viaSpan, type, nsp, ackId, attachments);
        Assert.Equal(output.WrittenSpan.ToArray(), viaSpan[..n]);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Theory]
    [InlineData(SocketPacketType.Connect, "0")]
    [InlineData(SocketPacketType.Disconnect, "1")]
    [InlineData(SocketPacketType.Event, "2")]
    [InlineData(SocketPacketType.Ack, "3")]
    [InlineData(SocketPacketType.ConnectError, "4")]
    public void The_main_namespace_is_omitted(SocketPacketType type, string expected)
    {
        Assert.Equal(expected, Header(type, "/"));
    }

    [Fact]
    public void An_ack_id_follows_the_type()
    {
        Assert.Equal("312", Header(SocketPacketType.Ack, "/", 12));
        Assert.Equal("20", Header(SocketPacketType.Event, "/", 0));
        Assert.Equal("21099511627777", Header(SocketPacketType.Event, "/", (1L << 40) + 1));
    }

    [Theory]
    [InlineData(SocketPacketType.Connect, "0/admin,")]
    [InlineData(SocketPacketType.Disconnect, "1/admin,")]
    [InlineData(SocketPacketType.Event, "2/admin,")]
    [InlineData(SocketPacketType.ConnectError, "4/admin,")]
    public void A_namespace_is_always_followed_by_a_comma(SocketPacketType type, string expected)
    {
        Assert.Equal(expected, Header(type, "/admin"));
    }

    [Fact]
    public void A_namespace_comes_before_the_ack_id()
    {
        Assert.Equal("3/admin,7", Header(SocketPacketType.Ack, "/admin", 7));
        Assert.Equal("2/ünï,42", Header(SocketPacketType.Event, "/ünï", 42));
    }

    [Fact]
    public void Attachments_turn_an_event_into_a_binary_event_with_its_count()
    {
        Assert.Equal("51-", Header(SocketPacketType.Event, "/", attachments: 1));
        Assert.Equal("512-", Header(SocketPacketType.Event, "/", attachments: 12));
        Assert.Equal("52-/admin,", Header(SocketPacketType.Event, "/admin", attachments: 2));
        Assert.Equal("52-/admin,9", Header(SocketPacketType.Event, "/admin", 9, attachments: 2));
    }

    [Fact]
    public void Attachments_turn_an_ack_into_a_binary_ack_with_its_count_and_id()
    {
        Assert.Equal("61-5", Header(SocketPacketType.Ack, "/", 5, attachments: 1));
        Assert.Equal("63-/admin,15", Header(SocketPacketType.Ack, "/admin", 15, attachments: 3));
    }

    [Fact]
    public void Written_headers_read_back_with_the_reader()
    {
        var output = new ArrayBufferWriter<byte>();
        SocketPacketWriter.WriteHeader(output, SocketPacketType.Event, "/chat", 31, 2);
        output.Write("[\"file\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]"u8);

        Assert.True(SocketPacketReader.TryParse(output.WrittenMemory, out var packet, out _));

        Assert.Equal(SocketPacketType.BinaryEvent, packet.Type);
        Assert.Equal("/chat", packet.Namespace);
        Assert.Equal(31, packet.AckId);
        Assert.Equal(2, packet.AttachmentCount);
    }
}
