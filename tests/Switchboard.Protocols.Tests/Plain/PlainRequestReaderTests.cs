using System.Text;
using Switchboard.Protocols.Plain;

namespace Switchboard.Protocols.Tests.Plain;

public sealed class PlainRequestReaderTests
{
    private static PlainRequest Read(string json)
    {
        Assert.True(PlainRequestReader.TryRead(Encoding.UTF8.GetBytes(json), out var request, out var error), $"Refused: {error.Code} {error.Message}");
        return request;
    }

    private static PlainError Refuse(string json)
    {
        Assert.False(PlainRequestReader.TryRead(Encoding.UTF8.GetBytes(json), out _, out var error), "Expected a refusal.");
        return error;
    }

    private static string Text(ReadOnlyMemory<byte> raw) => Encoding.UTF8.GetString(raw.Span);

    [Fact]
    public void Subscribe_with_a_position_reads_channel_offset_epoch_and_the_raw_id()
    {
        var request = Read("""{"id":1,"op":"subscribe","channel":"prices","since":{"offset":5,"epoch":"abc"}}""");

        Assert.Equal(PlainOp.Subscribe, request.Op);
        Assert.Equal("1", Text(request.Id));
        Assert.Equal("prices", request.Channel);
        Assert.Equal(new PlainPosition(5, "abc"), request.Since);
    }

    [Fact]
    public void A_string_id_is_kept_verbatim_with_its_quotes_and_escapes()
    {
        var request = Read("""{"op":"ping","id":"a\"b"}""");

        Assert.Equal("\"a\\\"b\"", Text(request.Id));
    }

    [Fact]
    public void Without_an_id_the_id_is_empty()
    {
        Assert.True(Read("""{"op":"ping"}""").Id.IsEmpty);
    }

    [Fact]
    public void Publish_keeps_data_as_the_raw_JSON_value_and_reads_event_and_echo()
    {
        var request = Read("""{"id":3,"op":"publish","channel":"a","event":"msg","data":{"x":[1, 2,"y"]},"echo":false}""");

        Assert.Equal(PlainOp.Publish, request.Op);
        Assert.Equal("msg", request.Event);
        Assert.Equal("""{"x":[1, 2,"y"]}""", Text(request.Data));
        Assert.False(request.Echo);
    }

    [Theory]
    [InlineData("\"text\"")]
    [InlineData("42.5")]
    [InlineData("null")]
    [InlineData("[1,{\"a\":null}]")]
    [InlineData("true")]
    public void Publish_data_may_be_any_JSON_value(string data)
    {
        var request = Read($$"""{"op":"publish","channel":"a","data":{{data}}}""");

        Assert.Equal(data, Text(request.Data));
    }

    [Fact]
    public void Publish_defaults_to_event_message_no_data_and_echo()
    {
        var request = Read("""{"op":"publish","channel":"a"}""");

        Assert.Equal(PlainProtocol.DefaultEvent, request.Event);
        Assert.True(request.Data.IsEmpty);
        Assert.True(request.Echo);
    }

    [Fact]
    public void History_reads_limit_and_optional_position()
    {
        var request = Read("""{"op":"history","channel":"a","limit":10,"since":null}""");

        Assert.Equal(PlainOp.History, request.Op);
        Assert.Equal(10, request.Limit);
        Assert.Null(request.Since);
    }

    [Theory]
    [InlineData("unsubscribe", PlainOp.Unsubscribe)]
    [InlineData("presence", PlainOp.Presence)]
    [InlineData("history", PlainOp.History)]
    public void Channel_ops_are_recognised(string op, PlainOp expected)
    {
        Assert.Equal(expected, Read($$"""{"op":"{{op}}","channel":"c"}""").Op);
    }

    [Fact]
    public void Unknown_fields_are_ignored_wherever_they_are()
    {
        var request = Read("""{"v":2,"op":"subscribe","extra":{"deep":[1,2,{"x":1}]},"channel":"a","since":{"offset":0,"epoch":"e","more":true}}""");

        Assert.Equal("a", request.Channel);
        Assert.Equal(new PlainPosition(0, "e"), request.Since);
    }

    [Theory]
    [InlineData("{\"op\":\"ping\"", "malformed JSON")]
    [InlineData("not json", "malformed JSON")]
    [InlineData("{\"op\":\"ping\"} trailing", "malformed JSON")]
    [InlineData("", "malformed JSON")]
    [InlineData("[1,2]", "a frame must be a JSON object")]
    [InlineData("\"ping\"", "a frame must be a JSON object")]
    [InlineData("{}", "missing 'op'")]
    [InlineData("{\"op\":7}", "'op' must be a string")]
    [InlineData("{\"op\":\"subscribe\"}", "'subscribe' needs a non-empty 'channel'")]
    [InlineData("{\"op\":\"publish\",\"channel\":\"\"}", "'publish' needs a non-empty 'channel'")]
    [InlineData("{\"op\":\"subscribe\",\"channel\":5}", "'channel' must be a string")]
    [InlineData("{\"op\":\"publish\",\"channel\":\"a\",\"event\":{}}", "'event' must be a string")]
    [InlineData("{\"op\":\"publish\",\"channel\":\"a\",\"echo\":\"no\"}", "'echo' must be true or false")]
    [InlineData("{\"op\":\"history\",\"channel\":\"a\",\"limit\":0}", "'limit' must be a positive integer")]
    [InlineData("{\"op\":\"history\",\"channel\":\"a\",\"limit\":1.5}", "'limit' must be a positive integer")]
    [InlineData("{\"op\":\"subscribe\",\"channel\":\"a\",\"since\":5}", "'since' must be an object")]
    [InlineData("{\"op\":\"subscribe\",\"channel\":\"a\",\"since\":{\"offset\":-1,\"epoch\":\"e\"}}", "'since' needs 'offset'")]
    [InlineData("{\"op\":\"subscribe\",\"channel\":\"a\",\"since\":{\"offset\":1}}", "'since' needs 'offset'")]
    [InlineData("{\"op\":\"subscribe\",\"channel\":\"a\",\"since\":{\"offset\":1,\"epoch\":\"\"}}", "'since' needs 'offset'")]
    [InlineData("{\"op\":\"ping\",\"id\":{\"a\":1}}", "'id' must be a number or a string")]
    [InlineData("{\"op\":\"publish\",\"channel\":\"a\",\"event\":\"connect\"}", "'event' must be a non-empty name other than")]
    [InlineData("{\"op\":\"publish\",\"channel\":\"a\",\"event\":\"\"}", "'event' must be a non-empty name other than")]
    public void Bad_requests_are_refused_with_a_message_saying_what_is_wrong(string json, string message)
    {
        var error = Refuse(json);

        Assert.Equal(PlainErrorCode.BadRequest, error.Code);
        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Data_nested_deeper_than_the_limit_is_malformed()
    {
        var deep = new string('[', PlainRequestReader.MaxDepth + 1) + new string(']', PlainRequestReader.MaxDepth + 1);

        var error = Refuse($$"""{"id":9,"op":"publish","channel":"a","data":{{deep}}}""");

        Assert.Equal(PlainErrorCode.BadRequest, error.Code);
        Assert.StartsWith("malformed JSON", error.Message);
        Assert.Equal("9", Text(error.Id));
    }

    [Fact]
    public void An_id_longer_than_the_limit_is_refused_and_not_echoed()
    {
        var id = new string('x', PlainRequestReader.MaxIdLength);

        var error = Refuse($$"""{"id":"{{id}}","op":"ping"}""");

        Assert.Equal(PlainErrorCode.BadRequest, error.Code);
        Assert.True(error.Id.IsEmpty);
    }

    [Fact]
    public void An_unknown_op_is_refused_as_unknown_op_with_the_id()
    {
        var error = Refuse("""{"id":"q","op":"teleport","channel":"a"}""");

        Assert.Equal(PlainErrorCode.UnknownOp, error.Code);
        Assert.Equal("unknown op 'teleport'", error.Message);
        Assert.Equal("\"q\"", Text(error.Id));
    }

    [Fact]
    public void A_refusal_carries_the_id_even_when_it_comes_after_the_fault()
    {
        var error = Refuse("""{"op":"subscribe","channel":5,"id":77}""");

        Assert.Equal("77", Text(error.Id));
    }

    [Fact]
    public void Invalid_UTF8_in_a_string_is_malformed()
    {
        byte[] json = [.. "{\"op\":\"subscribe\",\"channel\":\""u8, 0xff, 0xfe, .. "\"}"u8];

        Assert.False(PlainRequestReader.TryRead(json, out _, out var error));
        Assert.Equal(PlainErrorCode.BadRequest, error.Code);
        Assert.StartsWith("malformed JSON", error.Message);
    }
}
