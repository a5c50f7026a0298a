using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Bench.Ceiling;

/// <summary>The few bytes the ceiling server writes: server WebSocket frames (unmasked), SSE events, HTTP heads.</summary>
internal static class Framing
{
    public static byte[] TextFrame(ReadOnlySpan<byte> payload)
    {
        var header = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var frame = new byte[header + payload.Length];
        frame[0] = 0x81;
        if (header == 2)
        {
            frame[1] = (byte)payload.Length;
        }
        else if (header == 4)
        {
            frame[1] = 126;
            frame[2] = (byte)(payload.Length >> 8);
            frame[3] = (byte)payload.Length;
        }
        else
        {
            frame[1] = 127;
            for (var i = 0; i < 8; i++)
            {
                frame[2 + i] = (byte)((long)payload.Length >> (56 - 8 * i));
            }
        }
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }

    public static byte[] TextFrame(string text) => TextFrame(Encoding.UTF8.GetBytes(text));

    public static byte[] ControlFrame(byte opcode, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[2 + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        frame[1] = (byte)payload.Length;
        payload.CopyTo(frame.AsSpan(2));
        return frame;
    }

    /// <summary><c>42["msg",payload]</c></summary>
    public static byte[] MsgEvent(ReadOnlySpan<byte> payloadJson) => Concat("42[\"msg\","u8, payloadJson, "]"u8);

    /// <summary><c>43id[payload]</c></summary>
    public static byte[] Ack(ReadOnlySpan<byte> id, ReadOnlySpan<byte> argsJson) =>
        TextFrame(Concat("43"u8, id, "["u8, argsJson, "]"u8));

    public static byte[] SseEvent(ReadOnlySpan<byte> payloadJson) => Concat("data: "u8, payloadJson, "\n\n"u8);

    public static byte[] UpgradeResponse(string key)
    {
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        return Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
    }

    public static readonly byte[] EventStreamResponse = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n:ok\n\n");

    public static readonly byte[] NotFound = Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, ReadOnlySpan<byte> d = default, ReadOnlySpan<byte> e = default)
    {
        var bytes = new byte[a.Length + b.Length + c.Length + d.Length + e.Length];
        var span = bytes.AsSpan();
        a.CopyTo(span);
        b.CopyTo(span[a.Length..]);
        c.CopyTo(span[(a.Length + b.Length)..]);
        d.CopyTo(span[(a.Length + b.Length + c.Length)..]);
        e.CopyTo(span[(a.Length + b.Length + c.Length + d.Length)..]);
        return bytes;
    }
}
