using System.Buffers;
using System.Text.Unicode;
using Switchboard.Protocols.SocketIO;
using static Switchboard.Fuzz.FuzzCheckException;

namespace Switchboard.Fuzz.Targets;

/// <summary>Socket.IO: one packet's text, then the event split that the server applies to a valid event or ack.</summary>
internal static class SocketPacketTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (!SocketPacketReader.TryParse(input.ToArray(), out var packet, out var error))
        {
            Check(error is not null, "a refusal without a reason");
            return;
        }
        var output = new ArrayBufferWriter<byte>(input.Length + 32);
        SocketPacketWriter.WriteHeader(output, packet.Type, packet.Namespace, packet.AckId, packet.AttachmentCount);
        output.Write(packet.Data.Span);
        Check(SocketPacketReader.TryParse(output.WrittenMemory, out var again, out error), $"a packet written from a parsed one does not parse: {error}");
        Check(again.Type == packet.Type && again.Namespace == packet.Namespace && again.AckId == packet.AckId
            && again.AttachmentCount == packet.AttachmentCount && again.Data.Span.SequenceEqual(packet.Data.Span), "the packet differs once written again");

        if (packet.Type is SocketPacketType.Event or SocketPacketType.BinaryEvent or SocketPacketType.Ack or SocketPacketType.BinaryAck)
        {
            var hasName = packet.Type is SocketPacketType.Event or SocketPacketType.BinaryEvent;
            if (!SocketEventData.TrySplit(packet.Data.Span, hasName, out var name, out var start, out var end))
            {
                // The reader checks JSON, not the UTF-8 inside strings; the split refuses a name that is not UTF-8.
                Check(!Utf8.IsValid(packet.Data.Span), "a valid packet's data does not split");
                return;
            }
            Check(!hasName || name is not null, "an event without a name");
            Check(0 <= start && start <= end && end <= packet.Data.Length, "the arguments lie outside the data");
        }
    }
}
