namespace Switchboard.Client.Channels;

/// <summary>
/// The W3C <c>text/event-stream</c> framing, one line at a time (the caller splits lines at CRLF, LF and
/// CR): <c>event:</c>, <c>data:</c> (several joined with LF), <c>id:</c>, comments, and a blank line ending
/// an event. Pure: no I/O.
/// </summary>
internal sealed class EventStreamParser
{
    private string? _event;
    private string? _id;
    private readonly List<string> _data = [];

    /// <summary>Takes one line; returns the event a blank line completes, else null.</summary>
    public ServerSentEvent? Line(string line)
    {
        if (line.Length == 0)
        {
            ServerSentEvent? completed = _data.Count == 0 ? null : new ServerSentEvent(_event ?? "message", string.Join('\n', _data), _id);
            _event = null;
            _id = null;
            _data.Clear();
            return completed;
        }
        if (line[0] == ':')
        {
            return null;
        }
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var field = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? "" : line[(colon + 1)..];
        if (value.StartsWith(' '))
        {
            value = value[1..];
        }
        switch (field)
        {
            case "event":
                _event = value;
                break;
            case "data":
                _data.Add(value);
                break;
            case "id":
                _id = value;
                break;
        }
        return null;
    }
}

/// <summary>One event of a <c>text/event-stream</c>.</summary>
internal sealed record ServerSentEvent(string Event, string Data, string? Id);
