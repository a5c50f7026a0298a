using System.Buffers;
using System.Text;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests.MsgPack;

/// <summary>
/// Packets the server writes for socket.io-msgpack-parser clients. Where a test compares bytes, the
/// expected hex is what that parser's own Encoder (notepack.io 2.2.0) writes for the same packet.
/// </summary>
public sealed class MsgPackPacketWriterTests
{
    private static string Write(SocketPacketType type, string nsp, long ackId, string json, params byte[][] attachments)
    {
        var buffer = new ArrayBufferWriter<byte>();
        MsgPackPacketWriter.Write(buffer, type, nsp, ackId, Encoding.UTF8.GetBytes(json), [.. attachments.Select(a => (ReadOnlyMemory<byte>)a)]);
        return Convert.ToHexStringLower(buffer.WrittenSpan);
    }

    private static string FromText(string text, params byte[][] attachments)
    {
        var buffer = new ArrayBufferWriter<byte>();
        MsgPackPacketWriter.WriteFromText(buffer, Encoding.UTF8.GetBytes(text), [.. attachments.Select(a => (ReadOnlyMemory<byte>)a)]);
        return Convert.ToHexStringLower(buffer.WrittenSpan);
    }

    [Fact]
    public void An_event_is_written_as_notepack_writes_it()
    {
        // {type:2, data:["hi",1,1.5,2**53,-129,0.1,"é\n",null,false,{k:[]}], nsp:"/admin", id:12}
        Assert.Equal(
            "84a47479706502a4646174619aa2686901cb3ff8000000000000cf0020000000000000d1ff7fcb3fb999999999999aa3c3a90ac0c281a16b90a36e7370a62f61646d696ea269640c",
            Write(SocketPacketType.Event, "/admin", 12, """["hi",1,1.5,9007199254740992,-129,0.1,"\u00e9\n",null,false,{"k":[]}]"""));
    }

    [Fact]
    public void Control_packets_are_written_as_notepack_writes_them()
    {
        Assert.Equal("83a47479706500a46461746181a3736964a3616263a36e7370a12f", Write(SocketPacketType.Connect, "/", SocketPacket.NoAck, """{"sid":"abc"}"""));
        Assert.Equal(
            "83a47479706504a46461746182a76d657373616765ac756e617574686f72697a6564a46461746181a6726561736f6ea962616420746f6b656ea36e7370a62f61646d696e",
            Write(SocketPacketType.ConnectError, "/admin", SocketPacket.NoAck, """{"message":"unauthorized","data":{"reason":"bad token"}}"""));
        // DISCONNECT has no data field at all (the parser refuses one).
        Assert.Equal("82a47479706501a36e7370a12f", Write(SocketPacketType.Disconnect, "/", SocketPacket.NoAck, ""));
    }

    [Fact]
    public void Placeholders_become_inline_binary_and_binary_types_their_plain_ones()
    {
        // {type:3, data:[Buffer[1,2], "x"*40], nsp:"/", id:0}
        Assert.Equal(
            "84a47479706503a46461746192c4020102d92878787878787878787878787878787878787878787878787878787878787878787878787878787878a36e7370a12fa2696400",
            FromText($$"""61-0[{"_placeholder":true,"num":0},"{{new string('x', 40)}}"]""", [1, 2]));
    }

    [Theory]
    [InlineData("1.0", "01")]
    [InlineData("1e3", "cd03e8")]
    [InlineData("-0", "00")]
    [InlineData("-0.0", "00")]
    [InlineData("18446744073709551615", "cfffffffffffffffff")]
    [InlineData("-9223372036854775808", "d38000000000000000")]
    [InlineData("1e400", "cb7ff0000000000000")]
    [InlineData("-1e400", "cbfff0000000000000")]
    [InlineData("1e19", "cb43e158e460913d00")]
    [InlineData("2.5e-3", "cb3f647ae147ae147b")]
    [InlineData("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", "ab61225c2f080c0a0d09c3a9")]
    [InlineData("\"\\ud83d\\ude00\"", "a4f09f9880")]
    [InlineData("\"\\ud800x\"", "a4efbfbd78")] // a lone surrogate is replaced, as UTF-8 encoders do
    [InlineData("{\"\\u0041\":true}", "81a141c3")]
    [InlineData("{\"_placeholder\":true,\"num\":5}", "82ac5f706c616365686f6c646572c3a36e756d05")] // names no attachment: plain data
    public void Json_values_map_onto_what_notepack_writes_for_the_value_javascript_parses(string json, string hex)
    {
        var packet = Write(SocketPacketType.Ack, "/", 0, $"[{json}]");
        var prefix = "84a47479706503a46461746191";
        var suffix = "a36e7370a12fa2696400";
        Assert.StartsWith(prefix, packet);
        Assert.EndsWith(suffix, packet);
        Assert.Equal(hex, packet[prefix.Length..^suffix.Length]);
    }

    [Fact]
    public void The_json_text_header_is_read_for_type_namespace_and_ack_id()
    {
        var hex = FromText("""51-/chat,42["up",{"_placeholder":true,"num":0}]""", [7]);
        Assert.True(MsgPackPacketReader.TryRead(Convert.FromHexString(hex), out var packet, out var attachments, out var error), error);
        Assert.Equal(SocketPacketType.Event, packet.Type);
        Assert.Equal("/chat", packet.Namespace);
        Assert.Equal(42, packet.AckId);
        Assert.Equal("""["up",{"_placeholder":true,"num":0}]""", Encoding.UTF8.GetString(packet.Data.Span));
        Assert.Equal([7], Assert.Single(attachments).ToArray());

        Assert.Equal("82a47479706501a36e7370a52f63686174", FromText("1/chat,"));
        Assert.Equal("82a47479706500a36e7370a12f", FromText("0"));
    }
}
