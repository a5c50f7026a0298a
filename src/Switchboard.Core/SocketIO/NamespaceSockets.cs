namespace Switchboard.SocketIO;

/// <summary>
/// The sockets of one connection, by namespace name; also the lock its users take. Nearly every
/// connection joins one namespace, so the first socket is kept in two fields and a dictionary is made
/// only for a second: an idle connection saves the ~200 bytes of an empty dictionary's arrays
/// (docs/performance.md, S1). Not thread-safe: callers lock the instance.
/// </summary>
internal sealed class NamespaceSockets
{
    private string? _firstName;
    private Socket? _first;
    private Dictionary<string, Socket>? _more;

    public Socket? Find(string name) =>
        _first is not null && string.Equals(_firstName, name, StringComparison.Ordinal) ? _first : _more?.GetValueOrDefault(name);

    /// <summary>Adds the socket of a namespace that has none here (callers check with <see cref="Find"/>).</summary>
    public void Add(string name, Socket socket)
    {
        if (_first is null)
        {
            _firstName = name;
            _first = socket;
        }
        else
        {
            (_more ??= new Dictionary<string, Socket>(StringComparer.Ordinal))[name] = socket;
        }
    }

    public void Remove(string name)
    {
        if (_first is not null && string.Equals(_firstName, name, StringComparison.Ordinal))
        {
            _firstName = null;
            _first = null;
        }
        else
        {
            _more?.Remove(name);
        }
    }

    public Socket[] ToArray()
    {
        var count = (_first is null ? 0 : 1) + (_more?.Count ?? 0);
        if (count == 0)
        {
            return [];
        }
        var sockets = new Socket[count];
        var i = 0;
        if (_first is not null)
        {
            sockets[i++] = _first;
        }
        if (_more is not null)
        {
            foreach (var socket in _more.Values)
            {
                sockets[i++] = socket;
            }
        }
        return sockets;
    }
}
