using System.Buffers;
using Microsoft.AspNetCore.Http;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Transports.EngineIO;

/// <summary>
/// Long-polling for Engine.IO v3 clients (docs/engine-io-v3.md): the same requests, but payloads framed
/// as <c>&lt;length&gt;:&lt;packet&gt;</c> records, or as a binary payload when the client supports binary
/// (no <c>b64</c> in its handshake) and binary packets are among those sent (<see cref="EngineCodecV3"/>).
/// </summary>
internal sealed partial class PollingTransport
{
    private static readonly byte[] V3Noop = "1:6"u8.ToArray();
    private const string OctetStream = "application/octet-stream";

    /// <summary>
    /// Answers a v3 poll with what is queued (and the close packet of a closed session), or the handshake
    /// with <paramref name="open"/> first. A binary payload is chosen only when it holds binary packets,
    /// as engine.io does: text stays readable in the common case.
    /// </summary>
    private async Task AnswerV3Async(HttpContext context, EngineSession session, byte[]? open)
    {
        var packets = new List<(ReadOnlyMemory<byte> Data, bool IsBinary)>();
        if (open is not null)
        {
            packets.Add((open, false));
        }
        while (session.Outbound.TryRead(out var frame))
        {
            packets.Add((frame.Data, frame.IsBinary));
            foreach (var attachment in frame.Attachments ?? [])
            {
                packets.Add((attachment, true));
            }
        }
        var closing = open is null && session.IsClosed && session.Outbound.IsFinished;
        if (closing)
        {
            var last = session.CloseCode == DisconnectCode.ClientClosed ? OutboundFrame.Noop : OutboundFrame.ClosePacket;
            if (packets.Count == 0 || last.Data.Span[0] != (byte)'6')
            {
                packets.Add((last.Data, false));
            }
        }
        var binary = !session.PollsInBase64 && packets.Exists(p => p.IsBinary);
        var buffer = new ArrayBufferWriter<byte>(256);
        foreach (var (data, isBinary) in packets)
        {
            if (binary)
            {
                EngineCodecV3.WriteBinaryRecord(buffer, data.Span, isBinary);
            }
            else
            {
                EngineCodecV3.WriteTextRecord(buffer, data.Span, isBinary);
            }
        }
        if (binary)
        {
            context.Response.ContentType = OctetStream;
            context.Response.Headers.CacheControl = "no-store";
            context.Response.ContentLength = buffer.WrittenCount;
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
        }
        else
        {
            await WritePayloadAsync(context, buffer.WrittenMemory);
        }
        if (open is null && session.IsClosed)
        {
            server.Remove(session);
        }
    }

    /// <summary>A v3 POST: a binary payload when sent as <c>application/octet-stream</c>, a text payload otherwise.</summary>
    private static bool TryParseV3(HttpRequest request, ReadOnlyMemory<byte> body, List<EnginePacket> packets) =>
        request.ContentType is { } type && type.StartsWith(OctetStream, StringComparison.OrdinalIgnoreCase)
            ? EngineCodecV3.TryParseBinaryPayload(body, packets)
            : EngineCodecV3.TryParseTextPayload(body, packets);
}
