using System.Buffers;
using Switchboard.Channels;
using Switchboard.Protocols.Plain;

namespace Switchboard.AspNetCore.Transports.PlainWebSocket;

/// <summary>
/// Encode once, write many: the <c>pub</c> frame of a publication in a channel is encoded the first time a
/// plain WebSocket subscriber needs it, and the same bytes go to every other subscriber (and into
/// <c>history</c> replies). The frames live on their publication (<see cref="Publication.Frame"/>).
/// </summary>
internal static class PlainWebSocketFrames
{
    public static byte[] Publication(in ChannelEntry entry) => entry.Publication.Frame(PublicationFrames.Instance, entry);

    public static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private sealed class PublicationFrames : PublicationFormat
    {
        public static readonly PublicationFrames Instance = new();

        public override byte[] Encode(in ChannelEntry entry)
        {
            var buffer = new ArrayBufferWriter<byte>(128 + entry.Publication.Data.Length);
            PlainFrameWriter.WritePublication(buffer, entry.Channel, entry.Offset, entry.Epoch, entry.Publication.Event, entry.Publication.Data.Span);
            return buffer.WrittenSpan.ToArray();
        }
    }
}
