namespace Switchboard.Channels;

/// <summary>
/// A channel's kept publications, oldest first, in a growable circular array: appended at the end,
/// dropped from the front, and read by index. A log's offsets are consecutive, so the entry after a
/// position is found by arithmetic (<c>offset - oldest offset</c>) instead of a scan of the history.
/// Not thread-safe: the store holds the log's lock around every call.
/// </summary>
internal sealed class HistoryRing
{
    private const int InitialCapacity = 4;
    private ChannelEntry[] _items = [];
    private int _head;

    /// <summary>How many entries are kept.</summary>
    public int Count { get; private set; }

    /// <summary>The entry <paramref name="index"/> places after the oldest (0 is the oldest).</summary>
    public ref readonly ChannelEntry this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            return ref _items[Wrap(_head + index)];
        }
    }

    /// <summary>The oldest entry; the ring must not be empty.</summary>
    public ref readonly ChannelEntry Oldest => ref this[0];

    /// <summary>Appends an entry after the newest one.</summary>
    public void Add(in ChannelEntry entry)
    {
        if (Count == _items.Length)
        {
            Grow();
        }
        _items[Wrap(_head + Count)] = entry;
        Count++;
    }

    /// <summary>Removes and returns the oldest entry; the ring must not be empty.</summary>
    public ChannelEntry RemoveOldest()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("The history is empty.");
        }
        var entry = _items[_head];
        _items[_head] = default; // the publication's bytes are freed with it
        _head = Wrap(_head + 1);
        Count--;
        if (Count == 0)
        {
            _head = 0;
        }
        return entry;
    }

    /// <summary>A new array of the <paramref name="count"/> entries from <paramref name="start"/> (0 is the oldest), oldest first.</summary>
    public ChannelEntry[] Copy(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        if (count == 0)
        {
            return [];
        }
        var copy = new ChannelEntry[count];
        var first = Wrap(_head + start);
        var before = Math.Min(count, _items.Length - first);
        Array.Copy(_items, first, copy, 0, before);
        Array.Copy(_items, 0, copy, before, count - before);
        return copy;
    }

    private int Wrap(int index) => index >= _items.Length ? index - _items.Length : index;

    private void Grow()
    {
        var grown = new ChannelEntry[Math.Max(InitialCapacity, _items.Length * 2)];
        if (Count > 0)
        {
            var before = _items.Length - _head;
            Array.Copy(_items, _head, grown, 0, before);
            Array.Copy(_items, 0, grown, before, _head);
        }
        _items = grown;
        _head = 0;
    }
}
