namespace Switchboard;

/// <summary>
/// What a recoverable socket leaves behind: its id, rooms and data. The socket updates it as it goes
/// (it is the socket's own room set and data dictionary), so it is current at every moment, not
/// written at disconnect.
/// </summary>
public sealed class RecoverableSession(string pid, string socketId)
{
    /// <summary>The private id the client presents to recover the socket.</summary>
    public string Pid { get; } = pid;

    /// <summary>The socket's id, kept on recovery.</summary>
    public string SocketId { get; } = socketId;

    /// <summary>The rooms the socket was in.</summary>
    public HashSet<string> Rooms { get; } = new(StringComparer.Ordinal);

    /// <summary>The socket's <c>Data</c>.</summary>
    public Dictionary<string, object?> Data { get; } = new(StringComparer.Ordinal);

    internal int Token;

    internal bool Disconnected;
}
