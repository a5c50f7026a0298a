using System.Text;
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
}
