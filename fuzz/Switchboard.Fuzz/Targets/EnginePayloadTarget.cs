using System.Buffers;
using Switchboard.Protocols.EngineIO;
using static Switchboard.Fuzz.FuzzCheckException;

namespace Switchboard.Fuzz.Targets;

/// <summary>Engine.IO: a polling payload, and the input as one text packet (a WebSocket text frame).</summary>
internal static class EnginePayloadTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var bytes = input.ToArray();
        var text = EngineCodec.TryParseText(bytes, out var packet);
        Check(text == EngineCodec.TryParseTextCopy(input, out var copy), "TryParseText and TryParseTextCopy disagree");
        if (text)
        {
            Check(packet.Type == copy.Type && packet.Data.Span.SequenceEqual(copy.Data.Span), "the copy differs from the slice");
        }

        var packets = new List<EnginePacket>();
        if (!EngineCodec.TryParsePayload(bytes, packets))
        {
            return;
        }
        var output = new ArrayBufferWriter<byte>(bytes.Length + 16);
        for (var i = 0; i < packets.Count; i++)
        {
            var encoded = packets[i].IsBinary ? packets[i].Data.ToArray() : EngineCodec.EncodeText(packets[i].Type, packets[i].Data.Span);
            EngineCodec.WritePayloadRecord(output, encoded, packets[i].IsBinary, first: i == 0);
        }
        var again = new List<EnginePacket>();
        Check(EngineCodec.TryParsePayload(output.WrittenMemory, again), "a payload written from parsed packets does not parse");
        Check(again.Count == packets.Count, "a payload written again has another number of packets");
        for (var i = 0; i < packets.Count; i++)
        {
            Check(again[i].Type == packets[i].Type && again[i].IsBinary == packets[i].IsBinary && again[i].Data.Span.SequenceEqual(packets[i].Data.Span),
                $"packet {i} differs once written again");
        }
    }
}
