using System.Text;
using Switchboard.Protocols.WebSockets;

namespace Switchboard.Protocols.Tests.WebSockets;

public class Utf8ValidatorTests
{
    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("κόσμε")]
    [InlineData("€ 𝄞 中文 \u007F \u0080 \uFFFD \U0010FFFF")]
    public void Valid_text_passes_whole_and_byte_by_byte(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var whole = new Utf8Validator();
        Assert.True(whole.Append(bytes));
        Assert.True(whole.IsComplete);
        var split = new Utf8Validator();
        foreach (var b in bytes)
        {
            Assert.True(split.Append([b]));
        }
        Assert.True(split.IsComplete);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF })] // overlong '/'
    [InlineData(new byte[] { 0xE0, 0x80, 0xAF })] // overlong
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // surrogate U+D800
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // past U+10FFFF
    [InlineData(new byte[] { 0xF5, 0x80, 0x80, 0x80 })]
    [InlineData(new byte[] { 0x80 })] // lone continuation
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64 })] // Autobahn 6.4.x style
    public void Invalid_sequences_fail_as_soon_as_they_are_seen(byte[] bytes)
    {
        var validator = new Utf8Validator();
        var failedAt = -1;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (!validator.Append(bytes.AsSpan(i, 1)))
            {
                failedAt = i;
                break;
            }
        }
        Assert.NotEqual(-1, failedAt);
        Assert.False(Utf8Validator.IsValid(bytes));
    }

    [Fact]
    public void A_sequence_cut_at_the_end_is_incomplete_not_invalid()
    {
        var validator = new Utf8Validator();
        Assert.True(validator.Append([0xE2, 0x82]));
        Assert.False(validator.IsComplete);
        Assert.True(validator.Append([0xAC]));
        Assert.True(validator.IsComplete);
    }
}
