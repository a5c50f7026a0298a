using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.Core.Tests.Channels;

public sealed class PublicationTests
{
    [Fact]
    public void Received_binary_arguments_become_base64_in_the_json_forms()
    {
        var json = """[{"name":"a.bin","bytes":{"_placeholder":true,"num":0}},[1,{"_placeholder":true,"num":1}],"x"]"""u8.ToArray();
        Assert.True(SocketArguments.TryCreate(json, hasName: false, [new byte[] { 1, 2, 3 }, new byte[] { 255 }], out _, out var args));
        var received = new Publication(1, "file", [args], [], null, DateTimeOffset.UnixEpoch);

        Assert.Equal("""[{"name":"a.bin","bytes":"AQID"},[1,"/w=="],"x"]""", Encoding.UTF8.GetString(received.Data.Span));
        Assert.Equal("""[{"name":"a.bin","bytes":"AQID"},[1,"/w=="],"x"]""", Encoding.UTF8.GetString(received.ArgumentsJson.Span));
    }

    private sealed class CountingFormat(string name) : PublicationFormat
    {
        public int Encoded;

        public override byte[] Encode(in ChannelEntry entry)
        {
            Interlocked.Increment(ref Encoded);
            return Encoding.UTF8.GetBytes($"{name}:{entry.Channel}:{entry.Offset}");
        }
    }

    [Fact]
    public void A_frame_is_encoded_once_per_format_and_channel_and_the_same_bytes_are_shared()
    {
        var publication = new Publication(1, "tick", [1], [], null, DateTimeOffset.UnixEpoch);
        var sse = new CountingFormat("sse");
        var plain = new CountingFormat("plain");

        var first = publication.Frame(sse, new ChannelEntry("a", 5, "E", publication));
        var again = publication.Frame(sse, new ChannelEntry(new string('a', 1), 5, "E", publication));
        var otherChannel = publication.Frame(sse, new ChannelEntry("b", 9, "E", publication));
        var otherFormat = publication.Frame(plain, new ChannelEntry("a", 5, "E", publication));

        Assert.Same(first, again);
        Assert.Equal("sse:a:5", Encoding.UTF8.GetString(first));
        Assert.Equal("sse:b:9", Encoding.UTF8.GetString(otherChannel));
        Assert.Equal("plain:a:5", Encoding.UTF8.GetString(otherFormat));
        Assert.Equal(2, sse.Encoded);
        Assert.Equal(1, plain.Encoded);
        Assert.Same(otherChannel, publication.Frame(sse, new ChannelEntry("b", 9, "E", publication)));
    }

    [JsonConverter(typeof(CountingConverter))]
    private sealed class Counted(int value)
    {
        public int Value { get; } = value;
        public int Serialized;
    }

    private sealed class CountingConverter : JsonConverter<Counted>
    {
        public override Counted Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, Counted value, JsonSerializerOptions options)
        {
            Interlocked.Increment(ref value.Serialized);
            writer.WriteNumberValue(value.Value);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("E-5")]
    public void The_arguments_are_serialized_once_for_json_and_socket_io_alike(string? offset)
    {
        var counted = new Counted(7);
        object?[] args = ["a", counted, new { x = "b" }, null];
        var once = new Publication(1, "tick", args, [], null, DateTimeOffset.UnixEpoch);
        var direct = offset is null ? PacketEncoder.Event("/chat", "tick", args) : PacketEncoder.Event("/chat", "tick", [.. args, offset]);
        counted.Serialized = 0;

        var data = Encoding.UTF8.GetString(once.Data.Span);
        var packet = once.SocketPacket("/chat", offset);

        Assert.Equal(1, counted.Serialized);
        Assert.Equal("""["a",7,{"x":"b"},null]""", data);
        Assert.Equal(Encoding.UTF8.GetString(direct.Text), Encoding.UTF8.GetString(packet.Text));
        Assert.Empty(packet.Attachments);
        Assert.Equal(direct.Arguments, packet.Arguments);
        Assert.Equal(offset, packet.Offset);
    }

    [Fact]
    public void Received_arguments_are_spliced_into_the_socket_packet_as_they_came()
    {
        Assert.True(SocketArguments.TryCreate("""[1, {"b" : 2}]"""u8.ToArray(), hasName: false, [], out _, out var args));
        var publication = new Publication(1, "tick", [args], [], null, DateTimeOffset.UnixEpoch);

        Assert.Equal("""[1, {"b" : 2}]""", Encoding.UTF8.GetString(publication.Data.Span));
        Assert.Equal("""42/chat,["tick",1, {"b" : 2}]""", Encoding.UTF8.GetString(publication.SocketPacket("/chat", null).Text));
    }

    [Fact]
    public void Data_is_the_one_argument_itself_or_the_array_of_several()
    {
        var one = new Publication(1, "tick", [new { x = 1 }], [], null, DateTimeOffset.UnixEpoch);
        var none = new Publication(2, "tick", [], [], null, DateTimeOffset.UnixEpoch);
        var two = new Publication(3, "tick", [1, "b"], [], null, DateTimeOffset.UnixEpoch);

        Assert.Equal("""{"x":1}""", Encoding.UTF8.GetString(one.Data.Span));
        Assert.Equal("""[{"x":1}]""", Encoding.UTF8.GetString(one.ArgumentsJson.Span));
        Assert.Equal("[]", Encoding.UTF8.GetString(none.Data.Span));
        Assert.Equal("""[1,"b"]""", Encoding.UTF8.GetString(two.Data.Span));
        Assert.Equal("""[1,"b"]""", Encoding.UTF8.GetString(two.ArgumentsJson.Span));
    }

    [Fact]
    public void Binary_made_by_the_server_is_base64_in_json_and_an_attachment_for_socket_io()
    {
        var publication = new Publication(1, "file", [new byte[] { 1, 2, 3 }], [], null, DateTimeOffset.UnixEpoch);

        Assert.Equal("\"AQID\"", Encoding.UTF8.GetString(publication.Data.Span));
        var packet = publication.SocketPacket("/", null);
        Assert.Equal("""451-["file",{"_placeholder":true,"num":0}]""", Encoding.UTF8.GetString(packet.Text));
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(packet.Attachments).ToArray());
    }
}
