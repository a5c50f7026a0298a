using System.Text.Json;

namespace Switchboard.Client;

/// <summary>
/// A namespace could not be joined: the server answered CONNECT_ERROR (<see cref="IsServerRefusal"/>,
/// with its <c>message</c> and optional <c>data</c>), or the connection itself could not be opened.
/// </summary>
public sealed class SocketConnectErrorException : Exception
{
    public SocketConnectErrorException(string message, JsonElement? data, bool isServerRefusal, Exception? inner = null)
        : base(message, inner)
    {
        Data = data;
        IsServerRefusal = isServerRefusal;
    }

    /// <summary>The <c>data</c> member of the server's CONNECT_ERROR, if it had one.</summary>
    public new JsonElement? Data { get; }

    /// <summary>True when the server refused the namespace (a middleware error); false for a transport failure.</summary>
    public bool IsServerRefusal { get; }
}

/// <summary>No acknowledgement arrived within the time given with <see cref="ClientSocket.Timeout"/>.</summary>
public sealed class SocketAckTimeoutException(string message) : TimeoutException(message);

/// <summary>The socket was disconnected (or disposed) before an acknowledgement arrived.</summary>
public sealed class SocketDisconnectedException(DisconnectReason reason)
    : Exception($"The socket was disconnected ({reason.ToWireString()}) before the acknowledgement arrived.")
{
    public DisconnectReason Reason { get; } = reason;
}

/// <summary>
/// An emit while disconnected found the offline buffer full
/// (<see cref="SocketIOClientOptions.OfflineBufferLimit"/> packets); the packet was not queued.
/// </summary>
public sealed class OfflineBufferFullException(int limit)
    : InvalidOperationException($"The socket is disconnected and its offline buffer already holds {limit} packet(s) (SocketIOClientOptions.OfflineBufferLimit).")
{
    public int Limit { get; } = limit;
}
