using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Switchboard.Protocols.WebSockets;

/// <summary>The XOR masking of RFC 6455 §5.3, in place, resumable at any offset of the payload.</summary>
public static class WebSocketMask
{
    /// <summary>
    /// Masks (or unmasks: it is its own inverse) <paramref name="data"/>, which starts <paramref name="offset"/>
    /// bytes into the payload (only its value modulo 4 matters); returns the offset after it, modulo 4.
    /// </summary>
    public static int Apply(Span<byte> data, uint mask, int offset)
    {
        offset &= 3;
        if (mask == 0 || data.IsEmpty)
        {
            return (offset + data.Length) & 3;
        }
        // The key's bytes sit lowest first; starting k bytes in, the key is rotated by k bytes.
        var rotated = BitConverter.IsLittleEndian
            ? BitOperations.RotateRight(mask, offset * 8)
            : BitOperations.RotateLeft(BinaryPrimitives.ReverseEndianness(mask), offset * 8);
        var wide = ((ulong)rotated << 32) | rotated;
        var i = 0;
        var longs = MemoryMarshal.Cast<byte, ulong>(data[..(data.Length & ~7)]);
        for (var j = 0; j < longs.Length; j++)
        {
            longs[j] ^= wide;
        }
        i = longs.Length * 8;
        for (; i < data.Length; i++)
        {
            data[i] ^= (byte)(BitConverter.IsLittleEndian ? rotated >> ((i & 3) * 8) : rotated >> (24 - ((i & 3) * 8)));
        }
        return (offset + data.Length) & 3;
    }
}
