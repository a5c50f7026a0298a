using System.Buffers;
using System.Runtime.CompilerServices;
using Switchboard.Channels;
using Switchboard.Protocols.Plain;

namespace Switchboard.AspNetCore.Channels;

/// <summary>
/// Encode once, write many: the <c>pub</c> frame of a publication in a channel is encoded the first time a
/// plain WebSocket subscriber needs it, and the same bytes go to every other subscriber (and into
/// <c>history</c> replies). The frames live as long as their publication.
/// </summary>
internal static class PlainWebSocketFrames
{
    // Publication has no per-format cache of its own yet; this table keys one on it without keeping it alive.
    private static readonly ConditionalWeakTable<Publication, Encoded> s_encoded = new();

    public static byte[] Publication(in ChannelEntry entry) => s_encoded.GetValue(entry.Publication, static _ => new Encoded()).Get(entry);

    public static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The frames of one publication, one per channel it was published to (almost always one).</summary>
    private sealed class Encoded
    {
        private readonly Lock _lock = new();
        private volatile Frame? _first;
        private Dictionary<string, byte[]>? _others;

        public byte[] Get(in ChannelEntry entry)
        {
            if (_first is { } first && first.Channel == entry.Channel)
            {
                return first.Bytes;
            }
            lock (_lock)
            {
                if (_first is null)
                {
                    var frame = new Frame(entry.Channel, Write(entry));
                    _first = frame;
                    return frame.Bytes;
                }
                if (_first.Channel == entry.Channel)
                {
                    return _first.Bytes;
                }
                _others ??= new(StringComparer.Ordinal);
                if (!_others.TryGetValue(entry.Channel, out var bytes))
                {
                    _others[entry.Channel] = bytes = Write(entry);
                }
                return bytes;
            }
        }

        private static byte[] Write(ChannelEntry entry)
        {
            var buffer = new ArrayBufferWriter<byte>(128 + entry.Publication.Data.Length);
            PlainFrameWriter.WritePublication(buffer, entry.Channel, entry.Offset, entry.Epoch, entry.Publication.Event, entry.Publication.Data.Span);
            return buffer.WrittenSpan.ToArray();
        }

        private sealed record Frame(string Channel, byte[] Bytes);
    }
}
