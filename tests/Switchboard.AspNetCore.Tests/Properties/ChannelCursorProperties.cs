using System.Buffers;
using System.Text;
using CsCheck;
using Switchboard.AspNetCore.Shared;
using Switchboard.Channels;
using Switchboard.Protocols.Channels;

namespace Switchboard.AspNetCore.Tests.Properties;

/// <summary>The cursor codec (docs/protocols/sse.md, "The cursor") on generated positions and arbitrary text.</summary>
public sealed class ChannelCursorProperties
{
    private const long Iterations = 2_000;

    // The wire format takes offsets of up to 18 digits; epochs are short (the stores make 8 characters).
    private static readonly Gen<long> Offset = Gen.Frequency((1, Gen.Long[0, 9]), (3, Gen.Long[0, 999_999_999_999_999_999]));

    private static readonly Gen<string> Epoch = Gen.OneOf(
        Gen.Char["ABCXYZabcxyz0189-_"].Array[1, 40].Select(c => new string(c)),
        Gen.OneOf(Gen.Char["aZ9-_ ./+~é中"].Select(c => c.ToString()), Gen.Const("\ud83d\ude00")).Array[1, 40].Select(p => string.Concat(p)));

    private static readonly Gen<StreamPosition[]> Positions = Gen.Select(Offset, Epoch, (o, e) => new StreamPosition(o, e)).Array[1, 6];

    private static readonly Gen<string> CursorInput = Gen.OneOf(
        Gen.String,
        Gen.OneOf("v1", "v2", "~", ".", "..", "0", "12", "-1", "+1", "999999999999999999", "9999999999999999999", "abc", "AAEC", "w7k", "_-", "%", "é", "\ud800")
            .Array[0, 12].Select(p => string.Concat(p)));

    [Fact]
    public void Written_then_parsed_a_cursor_gives_the_same_positions()
    {
        Positions.Sample(positions =>
        {
            var text = ChannelCursor.Format(positions);
            Assert.Equal(text, Uri.EscapeDataString(text));
            var output = new ArrayBufferWriter<byte>(1);
            ChannelCursor.Write(output, positions);
            Assert.Equal(text, Encoding.ASCII.GetString(output.WrittenSpan));

            Assert.True(ChannelCursor.TryParse(text, positions.Length, out var parsed), text);
            Assert.Equal(positions, parsed);
            Assert.False(ChannelCursor.TryParse(text, positions.Length + 1, out _));
        }, iter: Iterations);
    }

    [Fact]
    public void Arbitrary_text_never_throws_and_what_parses_formats_back_to_the_same_positions()
    {
        Gen.Select(CursorInput, Gen.Int[1, 4]).Sample((text, channels) =>
        {
            if (!ChannelCursor.TryParse(text, channels, out var positions))
            {
                Assert.Empty(positions);
                return;
            }
            Assert.Equal(channels, positions.Length);
            Assert.True(ChannelCursor.TryParse(ChannelCursor.Format(positions), channels, out var again));
            Assert.Equal(positions, again);
        }, iter: Iterations);
    }
}
