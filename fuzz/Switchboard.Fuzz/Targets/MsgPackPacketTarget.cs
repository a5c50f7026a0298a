using System.Buffers;
using System.Text.Json;
using Switchboard.Protocols;
using Switchboard.Protocols.SocketIO;
using static Switchboard.Fuzz.FuzzCheckException;

namespace Switchboard.Fuzz.Targets;

/// <summary>
/// socket.io-msgpack-parser: one binary message read as the msgpack parser does; what it accepts must be
/// JSON within the limits whose placeholders name its attachments, split as SocketClient splits it, and
/// read back the same once written again.
/// </summary>
internal static class MsgPackPacketTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (!MsgPackPacketReader.TryRead(input.ToArray(), out var packet, out var attachments, out var error))
        {
            Check(error is not null, "a refusal without a reason");
            return;
        }
        Check(attachments.Length <= MsgPackJson.MaxAttachments, "more attachments than the limit");
        if (!packet.Data.IsEmpty)
        {
            using var document = JsonDocument.Parse(packet.Data, JsonLimits.DocumentOptions);
        }
        if (packet.Type is SocketPacketType.Event or SocketPacketType.Ack)
        {
            var hasName = packet.Type == SocketPacketType.Event;
            Check(SocketEventData.TrySplit(packet.Data.Span, hasName, out var name, out _, out _), "an accepted event or ack does not split");
            Check(!hasName || name is not null, "an event without a name");
        }

        if (packet.Data.Span.Count("\"_placeholder\""u8) != attachments.Length)
        {
            // A client-sent map that looks like a placeholder (docs/parsers.md, "Not supported").
            return;
        }
        var output = new ArrayBufferWriter<byte>(input.Length + 64);
        MsgPackPacketWriter.Write(output, packet.Type, packet.Namespace, packet.AckId, packet.Data, attachments);
        Check(MsgPackPacketReader.TryRead(output.WrittenMemory, out var again, out var againAttachments, out error), $"a packet written from a read one does not read: {error}");
        Check(again.Type == packet.Type && again.Namespace == packet.Namespace && again.AckId == packet.AckId
            && againAttachments.Length == attachments.Length, "the packet differs once written again");
        if (!packet.Data.IsEmpty)
        {
            using var first = JsonDocument.Parse(packet.Data, JsonLimits.DocumentOptions);
            using var second = JsonDocument.Parse(again.Data, JsonLimits.DocumentOptions);
            Check(JsonElement.DeepEquals(first.RootElement, second.RootElement), "the data differs once written again");
        }
    }
}
