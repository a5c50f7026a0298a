namespace Switchboard.SocketIO;

/// <summary>
/// Thrown by connection middleware to refuse a socket. The client receives CONNECT_ERROR
/// <c>{"message": Message, "data": ErrorData}</c> (its <c>connect_error</c> event).
/// </summary>
public class SocketConnectException(string message, object? data = null, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>The <c>data</c> the client gets in <c>connect_error</c>.</summary>
    public object? ErrorData { get; } = data;
}

/// <summary>An acknowledgement did not arrive in time. For broadcasts, <see cref="Responses"/> holds those that did.</summary>
public sealed class SocketAckTimeoutException(string message, IReadOnlyList<SocketArguments>? responses = null) : TimeoutException(message)
{
    /// <summary>The acknowledgements that did arrive before the timeout.</summary>
    public IReadOnlyList<SocketArguments> Responses { get; } = responses ?? [];
}

/// <summary>The socket disconnected before the acknowledgement arrived.</summary>
public sealed class SocketDisconnectedException(DisconnectReason reason)
    : Exception($"The socket disconnected ({reason.ToWireName()}) before the acknowledgement arrived.")
{
    /// <summary>Why the socket disconnected.</summary>
    public DisconnectReason Reason { get; } = reason;
}
