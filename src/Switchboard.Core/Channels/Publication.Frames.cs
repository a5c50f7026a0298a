namespace Switchboard.Channels;

/// <summary>
/// A wire format of the channel protocols (SSE, plain WebSocket) whose frame for a publication in a
/// channel is the same for every subscriber: <see cref="Publication.Frame"/> encodes it once and keeps it.
/// One instance per format; it is the cache's key.
/// </summary>
internal abstract class PublicationFormat
{
    /// <summary>Held while a frame of this format is added to a publication: once per publication, so shared by all of them rather than one lock each.</summary>
    internal Lock Gate { get; } = new();

    /// <summary>The frame of <paramref name="entry"/>: pure, and called at most once per publication and channel.</summary>
    public abstract byte[] Encode(in ChannelEntry entry);
}

public sealed partial class Publication
{
    private volatile EncodedFrame[]? _frames;

    /// <summary>
    /// Encode once, write many: the frame of this publication in <paramref name="entry"/>'s channel in
    /// <paramref name="format"/>, encoded by the first subscriber that needs it and shared by the others.
    /// The frames live as long as the publication (in history, that is as long as it is kept).
    /// </summary>
    internal byte[] Frame(PublicationFormat format, in ChannelEntry entry)
    {
        if (Find(_frames, format, entry.Channel) is { } bytes)
        {
            return bytes;
        }
        lock (format.Gate)
        {
            var frames = _frames;
            if (Find(frames, format, entry.Channel) is { } raced)
            {
                return raced;
            }
            var encoded = format.Encode(entry);
            // Copied on write: almost always one frame (one channel, one format), read without a lock.
            _frames = frames is null ? [new EncodedFrame(format, entry.Channel, encoded)] : [.. frames, new EncodedFrame(format, entry.Channel, encoded)];
            return encoded;
        }
    }

    private static byte[]? Find(EncodedFrame[]? frames, PublicationFormat format, string channel)
    {
        if (frames is not null)
        {
            foreach (var frame in frames)
            {
                if (ReferenceEquals(frame.Format, format) && (ReferenceEquals(frame.Channel, channel) || string.Equals(frame.Channel, channel, StringComparison.Ordinal)))
                {
                    return frame.Bytes;
                }
            }
        }
        return null;
    }

    private sealed record EncodedFrame(PublicationFormat Format, string Channel, byte[] Bytes);
}
