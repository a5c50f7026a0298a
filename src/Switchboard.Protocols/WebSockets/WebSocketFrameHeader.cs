using System.Buffers;
using System.Buffers.Binary;

namespace Switchboard.Protocols.WebSockets;

/// <summary>
/// The header of one RFC 6455 frame (§5.2): FIN, the reserved bits, the opcode, the mask and the payload
/// length. <see cref="TryRead(ReadOnlySequence{byte}, out WebSocketFrameHeader)"/> parses one from the
/// front of a buffer (partial input is not an error, it returns false), <see cref="Check"/> applies
/// the rules a server holds a client's frames to, and <see cref="Write"/> writes a server's header.
/// </summary>
public readonly struct WebSocketFrameHeader
{
    /// <summary>The longest header: 2 bytes, an 8-byte length and a 4-byte mask.</summary>
    public const int MaxLength = 14;

    /// <summary>The largest payload of a control frame (§5.5).</summary>
    public const int MaxControlPayload = 125;

    private WebSocketFrameHeader(bool fin, byte reserved, WebSocketOpcode opcode, bool masked, uint mask, long payloadLength, int length)
    {
        Fin = fin;
        Reserved = reserved;
        Opcode = opcode;
        Masked = masked;
        Mask = mask;
        PayloadLength = payloadLength;
        Length = length;
    }

    /// <summary>Whether this is the last frame of its message.</summary>
    public bool Fin { get; }

    /// <summary>RSV1–RSV3 as the three low bits (RSV1 = 4); non-zero without a negotiated extension is a protocol error.</summary>
    public byte Reserved { get; }

    /// <summary>The opcode (may be a reserved value, which <see cref="Check"/> refuses).</summary>
    public WebSocketOpcode Opcode { get; }

    /// <summary>Whether the payload is masked (every client frame must be).</summary>
    public bool Masked { get; }

    /// <summary>The masking key, its four bytes in wire order from the lowest byte up (for <see cref="WebSocketMask.Apply"/>).</summary>
    public uint Mask { get; }

    /// <summary>The payload's length; -1 when the 64-bit length had its most significant bit set (a protocol error).</summary>
    public long PayloadLength { get; }

    /// <summary>The header's own length in bytes (2 to 14).</summary>
    public int Length { get; }

    /// <summary>Whether this is a control frame (close, ping, pong, or a reserved control opcode).</summary>
    public bool IsControl => ((byte)Opcode & 0x8) != 0;

    /// <summary>Reads a header from the start of <paramref name="buffer"/>; false when it is not all there yet.</summary>
    public static bool TryRead(ReadOnlySequence<byte> buffer, out WebSocketFrameHeader header)
    {
        if (buffer.FirstSpan.Length >= MaxLength || buffer.IsSingleSegment)
        {
            return TryRead(buffer.FirstSpan, out header);
        }
        Span<byte> copy = stackalloc byte[MaxLength];
        var length = (int)Math.Min(buffer.Length, MaxLength);
        buffer.Slice(0, length).CopyTo(copy);
        return TryRead(copy[..length], out header);
    }

    /// <summary>Reads a header from the start of <paramref name="buffer"/>; false when it is not all there yet.</summary>
    public static bool TryRead(ReadOnlySpan<byte> buffer, out WebSocketFrameHeader header)
    {
        header = default;
        if (buffer.Length < 2)
        {
            return false;
        }
        var first = buffer[0];
        var second = buffer[1];
        var masked = (second & 0x80) != 0;
        var shortLength = second & 0x7F;
        var length = 2 + (shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (buffer.Length < length)
        {
            return false;
        }
        long payload = shortLength;
        var at = 2;
        if (shortLength == 126)
        {
            payload = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
            at = 4;
        }
        else if (shortLength == 127)
        {
            var wide = BinaryPrimitives.ReadUInt64BigEndian(buffer[2..]);
            payload = wide > long.MaxValue ? -1 : (long)wide;
            at = 10;
        }
        var mask = masked ? BinaryPrimitives.ReadUInt32LittleEndian(buffer[at..]) : 0u;
        header = new WebSocketFrameHeader((first & 0x80) != 0, (byte)((first >> 4) & 0x7), (WebSocketOpcode)(first & 0xF), masked, mask, payload, length);
        return true;
    }

    /// <summary>
    /// Holds a frame from a client to the rules of §5: no reserved bits (no extension is negotiated), a known
    /// opcode, a mask, control frames whole and at most 125 bytes, continuations only inside a message and
    /// no new message inside one. <paramref name="inMessage"/> says whether a fragmented message is open.
    /// Returns null when the frame is acceptable, otherwise why not (the close code is 1002).
    /// </summary>
    public string? Check(bool inMessage, bool requireMask = true)
    {
        if (Reserved != 0)
        {
            return "reserved bits set";
        }
        if (Opcode is not (WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary
            or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong))
        {
            return "reserved opcode";
        }
        if (requireMask && !Masked)
        {
            return "unmasked client frame";
        }
        if (PayloadLength < 0)
        {
            return "payload length with its most significant bit set";
        }
        if (IsControl)
        {
            if (!Fin)
            {
                return "fragmented control frame";
            }
            return PayloadLength > MaxControlPayload ? "control frame payload over 125 bytes" : null;
        }
        if (Opcode == WebSocketOpcode.Continuation && !inMessage)
        {
            return "continuation frame outside a message";
        }
        return Opcode != WebSocketOpcode.Continuation && inMessage ? "new message inside a fragmented one" : null;
    }

    /// <summary>The length of an unmasked (server) header for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int SizeOf(long payloadLength) => payloadLength < 126 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10;

    /// <summary>
    /// Writes a header for a payload of <paramref name="payloadLength"/> bytes (unmasked, as a server sends,
    /// unless a <paramref name="mask"/> is given, as a client sends); returns the bytes written.
    /// </summary>
    public static int Write(Span<byte> destination, WebSocketOpcode opcode, long payloadLength, bool fin = true, uint? mask = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        destination[0] = (byte)((fin ? 0x80 : 0) | (byte)opcode);
        var maskBit = mask is null ? 0 : 0x80;
        int at;
        if (payloadLength < 126)
        {
            destination[1] = (byte)(maskBit | (int)payloadLength);
            at = 2;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = (byte)(maskBit | 126);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            at = 4;
        }
        else
        {
            destination[1] = (byte)(maskBit | 127);
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
            at = 10;
        }
        if (mask is { } key)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], key);
            at += 4;
        }
        return at;
    }

    /// <summary>Writes a whole unmasked frame (header and payload) to <paramref name="writer"/>.</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        var size = SizeOf(payload.Length);
        var span = writer.GetSpan(size + payload.Length);
        Write(span, opcode, payload.Length);
        payload.CopyTo(span[size..]);
        writer.Advance(size + payload.Length);
    }
}
