using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;
using Switchboard.Protocols.Plain;

namespace Switchboard.Protocols.Tests.Channels;

/// <summary>The channel protocols' JSON objects (docs/protocols/http-api.md, "Objects"), written by one codec.</summary>
public sealed class ChannelJsonWriterTests
{
    private static string Write(Action<Utf8JsonWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output, ChannelJsonWriter.WriterOptions))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void A_publication_is_its_place_event_and_data_as_given()
    {
        Assert.Equal("""{"channel":"prices","offset":5,"epoch":"E1","event":"tick","data":{"p":"<é>"}}""",
            Write(w => ChannelJsonWriter.WritePublication(w, "prices", 5, "E1", "tick", """{"p":"<é>"}"""u8)));
    }

    [Fact]
    public void A_publication_without_data_has_null_data()
    {
        Assert.Equal("""{"channel":"a","offset":0,"epoch":"E","event":"e","data":null}""",
            Write(w => ChannelJsonWriter.WritePublication(w, "a", 0, "E", "e", default)));
    }

    [Fact]
    public void The_plain_pub_frame_is_the_same_object_after_its_type()
    {
        var data = "[1,\"two\"]"u8.ToArray();
        var frame = new ArrayBufferWriter<byte>();
        PlainFrameWriter.WritePublication(frame, "room", 42, "E7", "msg", data);

        var shared = Write(w => ChannelJsonWriter.WritePublication(w, "room", 42, "E7", "msg", data));
        Assert.Equal("{\"type\":\"pub\"," + shared[1..], Encoding.UTF8.GetString(frame.WrittenSpan));
    }

    [Fact]
    public void Positions_and_members_are_written_as_documented()
    {
        Assert.Equal("""{"channel":"a","epoch":"E","offset":3}""", Write(w => ChannelJsonWriter.WritePosition(w, "a", new StreamPosition(3, "E"))));
        Assert.Equal("""{"offset":3,"epoch":"E"}""", Write(w => ChannelJsonWriter.WriteOffsetEpoch(w, new StreamPosition(3, "E"))));
        Assert.Equal("""{"connectionId":"c1","userId":null,"protocol":"sse","node":"n1"}""",
            Write(w => ChannelJsonWriter.WriteMember(w, "c1", null, "sse", "n1")));
    }
}
