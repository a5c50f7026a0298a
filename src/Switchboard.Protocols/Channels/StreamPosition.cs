namespace Switchboard.Channels;

/// <summary>
/// A position in one channel's stream: the offset of the last publication seen, in the channel's
/// epoch. Offsets start at 1; offset 0 means "before the first publication". A different epoch means
/// the history the position refers to is gone.
/// </summary>
public readonly record struct StreamPosition(long Offset, string Epoch)
{
    /// <summary><c>epoch:offset</c>, for logs.</summary>
    public override string ToString() => $"{Epoch}:{Offset}";
}
