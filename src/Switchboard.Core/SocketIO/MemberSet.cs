namespace Switchboard.SocketIO;

/// <summary>
/// A set of a room's members or of a socket's rooms, for the adapter. Most such sets are tiny (a
/// socket's own id room has one member, a socket is in two or three rooms), so up to
/// <see cref="MaxLinear"/> items live in an array searched in order, in the order they were added; a
/// larger set becomes a <see cref="HashSet{T}"/> for good. One member costs ~70 bytes instead of the
/// ~200 of a <see cref="HashSet{T}"/>, which every idle socket kept twice (docs/performance.md, S1).
/// Not thread-safe: the adapter's lock guards it. Items compare with <see cref="EqualityComparer{T}.Default"/>
/// (ordinal for strings, reference for sockets), as the hash sets did.
/// </summary>
internal sealed class MemberSet<T>
    where T : class
{
    internal const int MaxLinear = 8;

    private T[] _items;
    private int _count;
    private HashSet<T>? _set;

    public MemberSet(T first)
    {
        _items = [first];
        _count = 1;
    }

    public int Count => _set?.Count ?? _count;

    /// <summary>Adds <paramref name="item"/>; false when it was there.</summary>
    public bool Add(T item)
    {
        if (_set is not null)
        {
            return _set.Add(item);
        }
        if (IndexOf(item) >= 0)
        {
            return false;
        }
        if (_count == MaxLinear)
        {
            _set = new HashSet<T>(_items);
            _items = [];
            _count = 0;
            return _set.Add(item);
        }
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _count * 2);
        }
        _items[_count++] = item;
        return true;
    }

    /// <summary>Removes <paramref name="item"/>; false when it was not there.</summary>
    public bool Remove(T item)
    {
        if (_set is not null)
        {
            return _set.Remove(item);
        }
        var i = IndexOf(item);
        if (i < 0)
        {
            return false;
        }
        _count--;
        Array.Copy(_items, i + 1, _items, i, _count - i);
        _items[_count] = null!;
        return true;
    }

    public bool Contains(T item) => _set?.Contains(item) ?? IndexOf(item) >= 0;

    public T[] ToArray()
    {
        if (_set is not null)
        {
            return [.. _set];
        }
        return _items.AsSpan(0, _count).ToArray();
    }

    private int IndexOf(T item)
    {
        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < _count; i++)
        {
            if (comparer.Equals(_items[i], item))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>A <c>foreach</c> over the items without allocating, in either form.</summary>
    public Enumerator GetEnumerator() => new(this);

    public struct Enumerator
    {
        private readonly T[] _items;
        private readonly int _count;
        private readonly bool _hashed;
        private HashSet<T>.Enumerator _set;
        private int _index;
        private T? _current;

        internal Enumerator(MemberSet<T> owner)
        {
            _items = owner._items;
            _count = owner._count;
            _hashed = owner._set is not null;
            _set = _hashed ? owner._set!.GetEnumerator() : default;
            _index = 0;
            _current = null;
        }

        public readonly T Current => _current!;

        public bool MoveNext()
        {
            if (_hashed)
            {
                if (_set.MoveNext())
                {
                    _current = _set.Current;
                    return true;
                }
                return false;
            }
            if (_index < _count)
            {
                _current = _items[_index++];
                return true;
            }
            return false;
        }
    }
}
