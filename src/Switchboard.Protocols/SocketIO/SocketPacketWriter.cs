using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Switchboard.Protocols.SocketIO;

/// <summary>
/// Writes the header of a Socket.IO v5 packet: type, attachment count, namespace (always followed by a
/// comma when it is not the main namespace), and ack id. The JSON data follows it unchanged.
/// </summary>
public static class SocketPacketWriter
{
    /// <summary>Writes the header into <paramref name="output"/>.</summary>
    public static void WriteHeader(IBufferWriter<byte> output, SocketPacketType type, string nsp, long ackId = SocketPacket.NoAck, int attachments = 0)
    {
        var span = output.GetSpan(GetHeaderLength(nsp, ackId, attachments));
        var n = WriteHeader(span, type, nsp, ackId, attachments);
        output.Advance(n);
    }

    /// <summary>The most bytes a header with these parts can take.</summary>
    public static int GetHeaderLength(string nsp, long ackId, int attachments) =>
        1 + (attachments > 0 ? 11 : 0) + (nsp == "/" ? 0 : Encoding.UTF8.GetMaxByteCount(nsp.Length) + 1) + (ackId >= 0 ? 20 : 0);

    /// <summary>Writes the header into <paramref name="span"/> (at least <see cref="GetHeaderLength"/> bytes) and returns its length.</summary>
    public static int WriteHeader(Span<byte> span, SocketPacketType type, string nsp, long ackId, int attachments)
    {
        if (attachments > 0)
        {
            type = type switch
            {
                SocketPacketType.Event => SocketPacketType.BinaryEvent,
                SocketPacketType.Ack => SocketPacketType.BinaryAck,
                _ => type,
            };
        }
        span[0] = (byte)('0' + (int)type);
        var n = 1;
        if (type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck)
        {
            Utf8Formatter.TryFormat(attachments, span[n..], out var written);
            n += written;
            span[n++] = (byte)'-';
        }
        if (nsp != "/")
        {
            n += Encoding.UTF8.GetBytes(nsp, span[n..]);
            span[n++] = (byte)',';
        }
        if (ackId >= 0)
        {
            Utf8Formatter.TryFormat(ackId, span[n..], out var written);
            n += written;
        }
        return n;
    }
}
