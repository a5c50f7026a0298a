using System.Buffers;
using Switchboard.AspNetCore.Shared;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;

namespace Switchboard.AspNetCore.Tests.Channels;

/// <summary>The cursor codec (docs/protocols/sse.md, "The cursor").</summary>
public sealed class ChannelCursorTests
{
    [Fact]
    public void A_cursor_lists_each_channel_position_in_order_and_reads_back()
    {
        StreamPosition[] positions = [new(12, "AbCd-_01"), new(0, "zzzzzzzz")];

        var cursor = ChannelCursor.Format(positions);

        Assert.Equal("v1~12.AbCd-_01~0.zzzzzzzz", cursor);
        Assert.True(ChannelCursor.TryParse(cursor, 2, out var parsed));
        Assert.Equal(positions, parsed);
    }

    [Fact]
    public void A_cursor_needs_no_escaping_in_a_url()
    {
        var cursor = ChannelCursor.Format([new(long.MaxValue, "a-b_C9"), new(3, "épöch with spaces/+")]);

        Assert.Equal(cursor, Uri.EscapeDataString(cursor));
    }

    [Fact]
    public void An_epoch_outside_the_url_safe_alphabet_is_base64url_encoded_and_reads_back()
    {
        StreamPosition[] positions = [new(7, "node 1/épöch")];

        var cursor = ChannelCursor.Format(positions);

        Assert.StartsWith("v1~7..", cursor);
        Assert.True(ChannelCursor.TryParse(cursor, 1, out var parsed));
        Assert.Equal(positions, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("v2~1.abc")]
    [InlineData("v1")]
    [InlineData("v1~")]
    [InlineData("v1~1.abc~")]
    [InlineData("v1~1.abc~2.def")]
    [InlineData("v1~-1.abc")]
    [InlineData("v1~+1.abc")]
    [InlineData("v1~1.")]
    [InlineData("v1~.abc")]
    [InlineData("v1~1")]
    [InlineData("v1~1.ab/c")]
    [InlineData("v1~1..%%%")]
    [InlineData("v1~1..")]
    [InlineData("v1~1...")]
    [InlineData("v1~99999999999999999999.abc")]
    [InlineData("v1~1.abc extra")]
    public void Anything_but_a_cursor_for_exactly_these_channels_is_malformed(string? text) =>
        Assert.False(ChannelCursor.TryParse(text, 1, out _));

    [Fact]
    public void A_cursor_for_another_number_of_channels_is_malformed()
    {
        var cursor = ChannelCursor.Format([new(1, "aaaa"), new(2, "bbbb")]);

        Assert.False(ChannelCursor.TryParse(cursor, 1, out _));
        Assert.False(ChannelCursor.TryParse(cursor, 3, out _));
        Assert.True(ChannelCursor.TryParse(cursor, 2, out _));
    }

    [Fact]
    public void Written_as_bytes_a_cursor_is_its_text_in_ascii_appended_to_what_is_there()
    {
        StreamPosition[] positions = [new(long.MaxValue, "a-b_C9"), new(0, "node 1/épöch"), new(42, "x")];
        var output = new ArrayBufferWriter<byte>(1);
        output.Write("id: "u8);

        ChannelCursor.Write(output, positions);

        Assert.Equal("id: " + ChannelCursor.Format(positions), System.Text.Encoding.ASCII.GetString(output.WrittenSpan));
        Assert.Equal("id: v1~9223372036854775807.a-b_C9~0..bm9kZSAxL8OpcMO2Y2g~42.x", System.Text.Encoding.ASCII.GetString(output.WrittenSpan));
    }
}
