using Switchboard.Protocols.WebSockets;

namespace Switchboard.Protocols.Tests.WebSockets;

public class WebSocketMaskTests
{
    private static byte[] Reference(byte[] data, byte[] key, int offset)
    {
        var result = (byte[])data.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            result[i] ^= key[(offset + i) % 4];
        }
        return result;
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(7, 0)]
    [InlineData(8, 0)]
    [InlineData(9, 1)]
    [InlineData(31, 2)]
    [InlineData(1000, 3)]
    public void Masks_as_the_rfc_defines_from_any_offset(int length, int offset)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        byte[] key = [0x37, 0xfa, 0x21, 0x3d];
        var mask = BitConverter.ToUInt32(key);
        var masked = (byte[])data.Clone();
        var next = WebSocketMask.Apply(masked, mask, offset);
        Assert.Equal(Reference(data, key, offset), masked);
        Assert.Equal((offset + length) % 4, next);
    }

    [Fact]
    public void Masking_in_pieces_equals_masking_at_once()
    {
        var data = new byte[103];
        new Random(7).NextBytes(data);
        var mask = 0xA1B2C3D4u;
        var whole = (byte[])data.Clone();
        WebSocketMask.Apply(whole, mask, 0);
        var pieces = (byte[])data.Clone();
        var offset = 0;
        foreach (var (start, length) in new[] { (0, 3), (3, 10), (13, 1), (14, 89) })
        {
            offset = WebSocketMask.Apply(pieces.AsSpan(start, length), mask, offset);
        }
        Assert.Equal(whole, pieces);
    }
}
