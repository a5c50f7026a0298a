namespace Switchboard.Protocols.WebSockets;

/// <summary>
/// Validates UTF-8 incrementally, across the fragments and reads of one text message, and fails as soon
/// as a byte cannot continue valid UTF-8 (RFC 6455 §8.1: the connection fails with 1007). Overlong forms,
/// surrogates and code points past U+10FFFF are refused (Unicode table 3-7).
/// </summary>
public struct Utf8Validator
{
    private int _needed;
    private byte _low;
    private byte _high;

    /// <summary>Whether the bytes so far end on a character boundary (so the message may end here).</summary>
    public readonly bool IsComplete => _needed == 0;

    /// <summary>Takes the next bytes; false as soon as they cannot be valid UTF-8, whatever follows.</summary>
    public bool Append(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        if (_needed == 0)
        {
            var ascii = bytes.IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
            if (ascii < 0)
            {
                return true;
            }
            i = ascii;
        }
        for (; i < bytes.Length; i++)
        {
            var b = bytes[i];
            if (_needed > 0)
            {
                if (b < _low || b > _high)
                {
                    return false;
                }
                _needed--;
                _low = 0x80;
                _high = 0xBF;
                continue;
            }
            if (b < 0x80)
            {
                continue;
            }
            (_needed, _low, _high) = b switch
            {
                >= 0xC2 and <= 0xDF => (1, (byte)0x80, (byte)0xBF),
                0xE0 => (2, (byte)0xA0, (byte)0xBF),
                >= 0xE1 and <= 0xEC or 0xEE or 0xEF => (2, (byte)0x80, (byte)0xBF),
                0xED => (2, (byte)0x80, (byte)0x9F),
                0xF0 => (3, (byte)0x90, (byte)0xBF),
                >= 0xF1 and <= 0xF3 => (3, (byte)0x80, (byte)0xBF),
                0xF4 => (3, (byte)0x80, (byte)0x8F),
                _ => (-1, (byte)0, (byte)0),
            };
            if (_needed < 0)
            {
                _needed = 0;
                return false;
            }
        }
        return true;
    }

    /// <summary>Starts over, for the next message.</summary>
    public void Reset() => this = default;

    /// <summary>Whether <paramref name="bytes"/> are, whole, valid UTF-8.</summary>
    public static bool IsValid(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
}
