using System.Buffers.Binary;

namespace Switchboard.Protocols.WebSockets;

/// <summary>The payload of a close frame (§5.5.1): an optional status code, then an optional UTF-8 reason.</summary>
public static class WebSocketClosePayload
{
    /// <summary>
    /// Reads a client's close payload. Returns the close code to answer with: the client's own code echoed
    /// (or 1000 when it sent none), 1002 for a one-byte payload or a code not allowed on the wire, 1007 for
    /// a reason that is not UTF-8. <paramref name="code"/> is the client's code (1005 when absent).
    /// </summary>
    public static ushort Read(ReadOnlySpan<byte> payload, out ushort code)
    {
        if (payload.IsEmpty)
        {
            code = WebSocketCloseCode.NoStatus;
            return WebSocketCloseCode.NormalClosure;
        }
        if (payload.Length == 1)
        {
            code = WebSocketCloseCode.NoStatus;
            return WebSocketCloseCode.ProtocolError;
        }
        code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!WebSocketCloseCode.IsValidOnWire(code))
        {
            return WebSocketCloseCode.ProtocolError;
        }
        return Utf8Validator.IsValid(payload[2..]) ? code : WebSocketCloseCode.InvalidPayload;
    }

    /// <summary>Writes a close payload: the code, then as much of the reason as fits in a control frame.</summary>
    public static int Write(Span<byte> destination, ushort code, ReadOnlySpan<byte> reason = default)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, code);
        var length = Math.Min(reason.Length, WebSocketFrameHeader.MaxControlPayload - 2);
        reason[..length].CopyTo(destination[2..]);
        return 2 + length;
    }
}
