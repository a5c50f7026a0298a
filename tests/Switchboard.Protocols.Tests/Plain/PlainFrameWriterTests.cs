using System.Buffers;
using System.Text;
using System.Text.Json;
using Switchboard.Protocols;
using Switchboard.Protocols.Plain;

namespace Switchboard.Protocols.Tests.Plain;

public sealed class PlainFrameWriterTests
{
    private static string Write(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void Welcome_names_the_version_the_connection_and_the_size_limit()
    {
        Assert.Equal("""{"type":"welcome","v":1,"connectionId":"c1","maxMessageSize":65536}""",
            Write(w => PlainFrameWriter.WriteWelcome(w, "c1", 65536)));
    }

    [Fact]
    public void Ok_echoes_the_raw_id()
    {
        Assert.Equal("""{"id":"x-1","ok":true}""", Write(w => PlainFrameWriter.WriteOk(w, "\"x-1\""u8)));
    }

    [Fact]
    public void A_reply_without_an_id_has_no_id_field()
    {
        Assert.Equal("""{"ok":true}""", Write(w => PlainFrameWriter.WriteOk(w, default)));
    }

    [Fact]
    public void Position_reply_carries_channel_offset_and_epoch()
    {
        Assert.Equal("""{"id":1,"ok":true,"channel":"a","offset":6,"epoch":"E"}""",
            Write(w => PlainFrameWriter.WritePosition(w, "1"u8, "a", 6, "E")));
    }

    [Fact]
    public void Error_reply_carries_the_wire_code_and_message()
    {
        Assert.Equal("""{"id":2,"ok":false,"error":{"code":"forbidden","message":"no <b> \"here\""}}""",
            Write(w => PlainFrameWriter.WriteError(w, "2"u8, PlainErrorCode.Forbidden, "no <b> \"here\"")));
    }

    [Theory]
    [InlineData(PlainErrorCode.BadRequest, "bad_request")]
    [InlineData(PlainErrorCode.UnknownOp, "unknown_op")]
    [InlineData(PlainErrorCode.Forbidden, "forbidden")]
    [InlineData(PlainErrorCode.NotSubscribed, "not_subscribed")]
    [InlineData(PlainErrorCode.AlreadySubscribed, "already_subscribed")]
    [InlineData(PlainErrorCode.TooManySubscriptions, "too_many_subscriptions")]
    [InlineData(PlainErrorCode.RateLimited, "rate_limited")]
    [InlineData(PlainErrorCode.TooLarge, "too_large")]
    [InlineData(PlainErrorCode.Internal, "internal")]
    public void Every_error_code_has_its_documented_wire_name(PlainErrorCode code, string wire)
    {
        Assert.Equal(wire, code.ToWireName());
    }

    [Fact]
    public void Publication_splices_the_data_bytes_unchanged()
    {
        Assert.Equal("""{"type":"pub","channel":"a","offset":6,"epoch":"E","event":"msg","data":{"k":[1,"é"]}}""",
            Write(w => PlainFrameWriter.WritePublication(w, "a", 6, "E", "msg", """{"k":[1,"é"]}"""u8)));
    }

    [Fact]
    public void Publication_without_data_has_data_null()
    {
        Assert.Equal("""{"type":"pub","channel":"a","offset":1,"epoch":"E","event":"msg","data":null}""",
            Write(w => PlainFrameWriter.WritePublication(w, "a", 1, "E", "msg", default)));
    }

    [Fact]
    public void History_lists_encoded_publications_after_the_top_position()
    {
        var first = Encoding.UTF8.GetBytes(Write(w => PlainFrameWriter.WritePublication(w, "a", 4, "E", "m", "1"u8)));
        var second = Encoding.UTF8.GetBytes(Write(w => PlainFrameWriter.WritePublication(w, "a", 5, "E", "m", "2"u8)));

        var json = Write(w => PlainFrameWriter.WriteHistory(w, "4"u8, "a", 5, "E", true, [first, second]));

        Assert.Equal(
            """{"id":4,"ok":true,"channel":"a","offset":5,"epoch":"E","continuous":true,"publications":[""" +
            """{"type":"pub","channel":"a","offset":4,"epoch":"E","event":"m","data":1},""" +
            """{"type":"pub","channel":"a","offset":5,"epoch":"E","event":"m","data":2}]}""",
            json);
    }

    [Fact]
    public void Presence_reply_carries_the_connection_and_user_counts()
    {
        Assert.Equal("""{"id":5,"ok":true,"channel":"a","count":3,"users":2}""", Write(w => PlainFrameWriter.WritePresence(w, "5"u8, "a", 3, 2)));
    }

    [Fact]
    public void Discontinuity_names_the_channel_and_the_position_live_delivery_goes_on_from()
    {
        Assert.Equal("""{"type":"discontinuity","channel":"a","offset":10,"epoch":"E2"}""",
            Write(w => PlainFrameWriter.WriteDiscontinuity(w, "a", 10, "E2")));
    }

    [Fact]
    public void Close_carries_code_reason_and_reconnect_advice()
    {
        Assert.Equal("""{"type":"close","code":"slow_consumer","reason":"too slow","reconnect":true}""",
            Write(w => PlainFrameWriter.WriteClose(w, DisconnectCode.SlowConsumer, "too slow")));
    }

    [Fact]
    public void Close_statuses_follow_the_documented_table()
    {
        Assert.Equal(1001, DisconnectCode.Shutdown.Status);
        Assert.Equal(1008, DisconnectCode.BadRequest.Status);
        Assert.Equal(1009, DisconnectCode.TooLarge.Status);
        Assert.Equal(1011, DisconnectCode.Internal.Status);
        Assert.Equal(4001, DisconnectCode.SlowConsumer.Status);
        Assert.Equal(4500, DisconnectCode.Disconnected.Status);
        Assert.False(DisconnectCode.ClientClosed.Notifies);
    }

    [Fact]
    public void Strings_from_the_server_are_escaped_into_valid_JSON()
    {
        var json = Write(w => PlainFrameWriter.WritePublication(w, "a\"\n\u0001", 1, "E", "ev\\", "0"u8));

        using var document = JsonDocument.Parse(json);
        Assert.Equal("a\"\n\u0001", document.RootElement.GetProperty("channel").GetString());
        Assert.Equal("ev\\", document.RootElement.GetProperty("event").GetString());
    }
}
