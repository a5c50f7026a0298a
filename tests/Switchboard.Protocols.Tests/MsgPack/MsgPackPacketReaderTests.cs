using System.Text;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.Protocols.Tests.MsgPack;

/// <summary>
/// Packets as socket.io-client with socket.io-msgpack-parser 3.0.2 (notepack.io 2.2.0) writes them: each
/// hex fixture was produced by its Encoder in tests/interop/node_modules.
/// </summary>
public sealed class MsgPackPacketReaderTests
{
    private static (SocketPacket Packet, ReadOnlyMemory<byte>[] Attachments) Read(string hex)
    {
        Assert.True(MsgPackPacketReader.TryRead(Convert.FromHexString(hex), out var packet, out var attachments, out var error), $"refused: {error}");
        Assert.Null(error);
        return (packet, attachments);
    }

    private static string Refuse(string hex)
    {
        Assert.False(MsgPackPacketReader.TryRead(Convert.FromHexString(hex), out _, out _, out var error), $"{hex} was accepted");
        Assert.False(string.IsNullOrEmpty(error));
        return error!;
    }

    private static string Json(SocketPacket packet) => Encoding.UTF8.GetString(packet.Data.Span);

    [Fact]
    public void Connect_without_auth_has_no_data()
    {
        // {type:0, nsp:"/", data:undefined}: notepack.io 2.x writes undefined as fixext 1 of type 0.
        var (packet, attachments) = Read("83a47479706500a36e7370a12fa464617461d40000");
        Assert.Equal(SocketPacketType.Connect, packet.Type);
        Assert.Equal("/", packet.Namespace);
        Assert.False(packet.HasAck);
        Assert.True(packet.Data.IsEmpty);
        Assert.Empty(attachments);
    }

    [Fact]
    public void Connect_auth_becomes_json()
    {
        var (packet, _) = Read("83a47479706500a36e7370a62f61646d696ea46461746182a5746f6b656ea6736563726574a3706964a178");
        Assert.Equal(SocketPacketType.Connect, packet.Type);
        Assert.Equal("/admin", packet.Namespace);
        Assert.Equal("""{"token":"secret","pid":"x"}""", Json(packet));
    }

    [Fact]
    public void Event_values_become_json_and_binary_becomes_a_placeholder_with_its_attachment()
    {
        // {type:2, data:["hello",1,-1,1.5,300,2**40,null,true,{a:[1,{b:"c"}]},Buffer[1,2,3]], options:{compress:true}, nsp:"/", id:7}
        var (packet, attachments) = Read("85a47479706502a4646174619aa568656c6c6f01ffcb3ff8000000000000cd012ccf0000010000000000c0c381a161920181a162a163c403010203a76f7074696f6e7381a8636f6d7072657373c3a36e7370a12fa2696407");
        Assert.Equal(SocketPacketType.Event, packet.Type);
        Assert.Equal(7, packet.AckId);
        Assert.Equal("""["hello",1,-1,1.5,300,1099511627776,null,true,{"a":[1,{"b":"c"}]},{"_placeholder":true,"num":0}]""", Json(packet));
        Assert.Equal([1, 2, 3], Assert.Single(attachments).ToArray());
        Assert.Equal(1, packet.AttachmentCount);
    }

    [Fact]
    public void Nested_binary_values_are_numbered_in_document_order()
    {
        var (packet, attachments) = Read("84a47479706503a46461746192c4010981a66e657374656491c4020807a36e7370a12fa2696407");
        Assert.Equal(SocketPacketType.Ack, packet.Type);
        Assert.Equal("""[{"_placeholder":true,"num":0},{"nested":[{"_placeholder":true,"num":1}]}]""", Json(packet));
        Assert.Equal([[9], [8, 7]], attachments.Select(a => a.ToArray()));
    }

    [Fact]
    public void Browser_array_buffers_undefined_and_dates_read_as_json_stringify_would_see_them()
    {
        // ["ab", ArrayBuffer[5,6], undefined, {u:undefined, d:new Date(Date.UTC(2024,0,2,3,4,5,678))}]
        var (packet, attachments) = Read("83a47479706502a46461746194a26162c702000506d4000082a175d40000a164d7000000018cc820db2ea36e7370a12f");
        Assert.Equal("""["ab",{"_placeholder":true,"num":0},null,{"d":"2024-01-02T03:04:05.678Z"}]""", Json(packet));
        Assert.Equal([5, 6], Assert.Single(attachments).ToArray());
    }

    [Fact]
    public void Disconnect_has_no_data()
    {
        var (packet, _) = Read("82a47479706501a36e7370a12f");
        Assert.Equal(SocketPacketType.Disconnect, packet.Type);
        Assert.True(packet.Data.IsEmpty);
    }

    [Fact]
    public void Timestamps_integer_keys_float32_and_invalid_utf8_read_as_javascript_would()
    {
        // {type:2, nsp:"/", data:["t", <timestamp 32: 1 s>, {1: "one"}, <float32 0.5>, <str ff>]}
        var (packet, _) = Read("83a47479706502a36e7370a12fa46461746195a174d6ff0000000181" + "01a36f6e65" + "ca3f000000" + "a1ff");
        Assert.Equal("[\"t\",\"1970-01-01T00:00:01.000Z\",{\"1\":\"one\"},0.5,\"\uFFFD\"]", Json(packet));
    }

    [Theory]
    [InlineData("", "not a MessagePack map")]
    [InlineData("9100", "not a MessagePack map")]
    [InlineData("81a36e7370a12f", "invalid packet type")] // no type
    [InlineData("82a47479706505a36e7370a12f", "invalid packet type")] // 5: binary types do not exist here
    [InlineData("82a474797065a132a36e7370a12f", "invalid packet type")] // "2"
    [InlineData("82a474797065ffa36e7370a12f", "invalid packet type")] // -1
    [InlineData("81a47479706500", "invalid namespace")] // no nsp
    [InlineData("82a47479706500a36e737001", "invalid namespace")]
    [InlineData("83a47479706502a36e7370a12fa464617461a162", "invalid payload")] // event data "b"
    [InlineData("83a47479706502a36e7370a12fa46461746190", "invalid payload")] // event []
    [InlineData("83a47479706502a36e7370a12fa46461746191aa646973636f6e6e656374", "invalid payload")] // ["disconnect"]
    [InlineData("83a47479706502a36e7370a12fa46461746191c0", "invalid payload")] // [null]
    [InlineData("83a47479706502a36e7370a12fa46461746191cb7ff8000000000000", "invalid payload")] // [NaN]: JSON null, no name (fuzz)
    [InlineData("83a47479706502a36e7370a12fa46461746191ca7f800000", "invalid payload")] // [Infinity] as float32
    [InlineData("82a47479706502a36e7370a12f", "invalid payload")] // event without data
    [InlineData("83a47479706501a36e7370a12fa46461746180", "invalid payload")] // disconnect with data
    [InlineData("83a47479706500a36e7370a12fa464617461c0", "invalid payload")] // connect data null
    [InlineData("84a47479706502a36e7370a12fa46461746191a161a26964ff", "invalid packet id")] // id -1
    [InlineData("84a47479706502a36e7370a12fa46461746191a161a26964c0", "invalid packet id")] // id null
    [InlineData("84a47479706502a36e7370a12fa46461746191a161a26964a131", "invalid packet id")] // id "1"
    [InlineData("82a47479706501a36e7370a12f00", "trailing bytes after the packet")]
    [InlineData("83a47479706502a36e7370a12fa46461746192a161", "malformed MessagePack")] // truncated
    [InlineData("83a47479706501a36e7370a12fa178c1", "malformed MessagePack")] // 0xc1 is never used
    [InlineData("83a47479706502a36e7370a12fa46461746192a16181919101a162", "a map key that is neither a string nor an integer")]
    public void Malformed_packets_are_refused_with_the_reason(string hex, string reason)
    {
        Assert.Equal(reason, Refuse(hex));
    }

    private static string Nested(int depth, string type = "03", string leaf = "a161")
    {
        // {type, nsp:"/", data:[[[...["a"]...]]]} with `depth` arrays in all.
        var data = new StringBuilder();
        data.Insert(0, "91", depth);
        return "83a474797065" + type + "a36e7370a12fa464617461" + data + leaf;
    }

    [Fact]
    public void Data_may_nest_as_deep_as_the_json_limit_and_no_deeper()
    {
        var (packet, _) = Read(Nested(JsonLimits.MaxDepth));
        Assert.StartsWith(new string('[', JsonLimits.MaxDepth) + "\"a\"", Json(packet));
        Assert.Equal(SocketPacketReader.PayloadTooDeep, Refuse(Nested(JsonLimits.MaxDepth + 1)));
        // A binary value is a placeholder object in JSON: one level more.
        Assert.Equal(SocketPacketReader.PayloadTooDeep, Refuse(Nested(JsonLimits.MaxDepth, leaf: "c40101")));
    }

    [Fact]
    public void A_connect_nested_too_deeply_still_names_its_namespace()
    {
        // {type:0, nsp:"/", data:{a:{a:...}}} 65 maps deep.
        var data = new StringBuilder();
        data.Insert(0, "81a161", JsonLimits.MaxDepth + 1);
        var hex = "83a474797065" + "00" + "a464617461" + data + "c0" + "a36e7370a62f61646d696e";
        Assert.False(MsgPackPacketReader.TryRead(Convert.FromHexString(hex), out var packet, out _, out var error));
        Assert.Equal(SocketPacketReader.PayloadTooDeep, error);
        Assert.Equal(SocketPacketType.Connect, packet.Type);
        Assert.Equal("/admin", packet.Namespace);
    }

    [Fact]
    public void Hostile_nesting_in_a_skipped_field_costs_no_stack()
    {
        // An unknown field holding 100 000 nested arrays: skipped without recursion.
        var hostile = new byte[100_000];
        Array.Fill(hostile, (byte)0x91);
        byte[] message = [.. Convert.FromHexString("83a47479706501a36e7370a12fa178"), .. hostile, 0xc0];
        Assert.True(MsgPackPacketReader.TryRead(message, out var packet, out _, out var error), error);
        Assert.Equal(SocketPacketType.Disconnect, packet.Type);
    }

    [Fact]
    public void At_most_a_thousand_binary_values()
    {
        string Bins(int count) => "83a47479706503a36e7370a12fa464617461dc" + count.ToString("x4") + string.Concat(Enumerable.Repeat("c40107", count));
        var (packet, attachments) = Read(Bins(MsgPackJson.MaxAttachments));
        Assert.Equal(MsgPackJson.MaxAttachments, attachments.Length);
        Assert.Equal($"more than {MsgPackJson.MaxAttachments} binary values", Refuse(Bins(MsgPackJson.MaxAttachments + 1)));
    }

    [Fact]
    public void Integers_beyond_long_keep_their_value_and_non_finite_floats_become_null()
    {
        // [ "n", uint64 max, float64 NaN, int64 min ]
        var (packet, _) = Read("83a47479706502a36e7370a12fa46461746194a16ecfffffffffffffffffcb7ff8000000000000d38000000000000000");
        Assert.Equal("""["n",18446744073709551615,null,-9223372036854775808]""", Json(packet));
    }

    [Fact]
    public void Integral_floats_read_as_their_exact_integer()
    {
        // [ "n", float64 2^60, float32 0x5c3f00a1, float64 -0.0, float64 1e19 ] (found by the msgpack-packet fuzz target)
        var (packet, _) = Read("83a47479706502a36e7370a12fa46461746195a16ecb43b0000000000000ca5c3f00a1cb8000000000000000cb43e158e460913d00");
        Assert.Equal("""["n",1152921504606846976,215049648165879808,0,1E+19]""", Json(packet));
    }
}
