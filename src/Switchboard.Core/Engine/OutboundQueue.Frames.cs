namespace Switchboard.Engine;

/// <summary>An Engine.IO session's outbound frames, weighed by their bytes (attachments included) and a slot's overhead.</summary>
internal sealed class OutboundQueue : OutboundQueue<OutboundFrame>
{
    /// <summary>What a queued item costs beyond its bytes: its slot in the ring, the array headers of its data.</summary>
    internal const int ItemOverhead = 64;

    protected override long SizeOf(in OutboundFrame item)
    {
        long size = ItemOverhead + item.Data.Length;
        if (item.Attachments is { } attachments)
        {
            foreach (var attachment in attachments)
            {
                size += ItemOverhead + attachment.Length;
            }
        }
        return size;
    }
}
