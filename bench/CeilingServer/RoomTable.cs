namespace Switchboard.Bench.Ceiling;

/// <summary>Rooms and their members; a publish writes the same frame to every member.</summary>
internal sealed class RoomTable(bool corked)
{
    [ThreadStatic] private static List<CeilingConnection>? t_dirty;

    private readonly Dictionary<string, List<CeilingConnection>> _rooms = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public void Join(string room, CeilingConnection connection)
    {
        lock (_lock)
        {
            if (!_rooms.TryGetValue(room, out var members))
            {
                _rooms[room] = members = [];
            }
            members.Add(connection);
        }
    }

    public void Leave(IEnumerable<string> rooms, CeilingConnection connection)
    {
        lock (_lock)
        {
            foreach (var room in rooms)
            {
                if (_rooms.TryGetValue(room, out var members))
                {
                    members.Remove(connection);
                    if (members.Count == 0)
                    {
                        _rooms.Remove(room);
                    }
                }
            }
        }
    }

    /// <summary>Builds the WebSocket frame and the SSE event once, then writes one of them to each member.</summary>
    public void Publish(string room, ReadOnlySpan<byte> payloadJson)
    {
        byte[]? wsFrame = null;
        byte[]? sseEvent = null;
        lock (_lock)
        {
            if (!_rooms.TryGetValue(room, out var members))
            {
                return;
            }
            foreach (var member in members)
            {
                byte[] bytes = member.IsEventStream
                    ? sseEvent ??= Framing.SseEvent(payloadJson)
                    : wsFrame ??= Framing.TextFrame(Framing.MsgEvent(payloadJson));
                if (!corked)
                {
                    member.Write(bytes);
                }
                else if (member.Append(bytes))
                {
                    (t_dirty ??= []).Add(member);
                }
            }
        }
    }

    /// <summary>
    /// Corked mode: after a whole read of the publisher's input has been handled, writes what each
    /// recipient has queued with one send per recipient.
    /// </summary>
    public void FlushCorked()
    {
        var dirty = t_dirty;
        if (dirty is null || dirty.Count == 0)
        {
            return;
        }
        foreach (var member in dirty)
        {
            member.Flush();
        }
        dirty.Clear();
    }
}
