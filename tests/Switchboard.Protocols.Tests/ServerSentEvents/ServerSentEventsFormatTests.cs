using System.Buffers;
using System.Text;
using Switchboard.Protocols.ServerSentEvents;

namespace Switchboard.Protocols.Tests.ServerSentEvents;

/// <summary>The SSE framing codec (docs/protocols/sse.md, "Framing").</summary>
public sealed class ServerSentEventsFormatTests
{
    private static string Event(string? name, string? id, string data)
    {
        var output = new ArrayBufferWriter<byte>();
        ServerSentEventsFormat.WriteEvent(output, name, id, Encoding.UTF8.GetBytes(data));
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void An_event_has_event_id_and_data_fields_and_ends_with_a_blank_line() =>
        Assert.Equal("event: tick\nid: v1~1.e\ndata: {\"x\":1}\n\n", Event("tick", "v1~1.e", "{\"x\":1}"));

    [Fact]
    public void Without_a_name_or_id_only_data_is_written() =>
        Assert.Equal("data: x\n\n", Event(null, null, "x"));

    [Theory]
    [InlineData("a\nb", "data: a\ndata: b\n\n")]
    [InlineData("a\r\nb", "data: a\ndata: b\n\n")]
    [InlineData("a\rb", "data: a\ndata: b\n\n")]
    [InlineData("a\n", "data: a\ndata: \n\n")]
    [InlineData("\n\n", "data: \ndata: \ndata: \n\n")]
    public void Every_line_break_in_data_starts_a_new_data_line(string data, string expected) =>
        Assert.Equal(expected, Event(null, null, data));

    [Fact]
    public void A_payload_cannot_inject_fields_or_end_the_event()
    {
        var framed = Event("tick", null, "x\n\nevent: evil\r\nid: forged\rretry: 1");

        Assert.Equal("event: tick\ndata: x\ndata: \ndata: event: evil\ndata: id: forged\ndata: retry: 1\n\n", framed);
        var lines = framed.Split('\n');
        Assert.All(lines.Skip(1).Where(l => l.Length > 0), l => Assert.StartsWith("data: ", l));
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a\rb")]
    [InlineData("a\0b")]
    public void An_event_name_or_id_over_several_lines_is_refused(string value)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => ServerSentEventsFormat.WriteEvent(output, value, null, "x"u8));
        Assert.Throws<ArgumentException>(() => ServerSentEventsFormat.WriteEvent(output, null, value, "x"u8));
    }

    [Fact]
    public void Comments_and_retry_are_framed_as_their_own_blocks()
    {
        var output = new ArrayBufferWriter<byte>();
        ServerSentEventsFormat.WriteRetry(output, TimeSpan.FromSeconds(3));
        ServerSentEventsFormat.WriteComment(output, "ping");

        Assert.Equal("retry: 3000\n\n: ping\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("tick", "{\"x\":1}")]
    [InlineData(null, "{\"x\":1}")]
    [InlineData("message", "a\r\nb\nc\rd")]
    [InlineData("data", "event: x")]
    public void An_event_encoded_once_without_an_id_is_written_with_an_id_as_if_encoded_with_it(string? name, string data)
    {
        var encoded = new ArrayBufferWriter<byte>();
        ServerSentEventsFormat.WriteEvent(encoded, name, null, Encoding.UTF8.GetBytes(data));
        var output = new ArrayBufferWriter<byte>();

        ServerSentEventsFormat.WriteEvent(output, encoded.WrittenSpan, "v1~3.e"u8);

        Assert.Equal(Event(name, "v1~3.e", data), Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void An_id_written_into_an_encoded_event_must_be_one_line()
    {
        var encoded = new ArrayBufferWriter<byte>();
        ServerSentEventsFormat.WriteEvent(encoded, "tick", null, "1"u8);

        Assert.Throws<ArgumentException>(() => ServerSentEventsFormat.WriteEvent(new ArrayBufferWriter<byte>(), encoded.WrittenSpan, "a\nb"u8));
    }
}
