namespace Switchboard.SocketIO;

/// <summary>
/// Thrown by connection middleware to refuse a socket. The client receives CONNECT_ERROR
/// <c>{"message": Message, "data": ErrorData}</c> (its <c>connect_error</c> event).
/// </summary>
public class SocketConnectException(string message, object? data = null, Exception? innerException = null) : Exception(message, innerException)
{
    public object? ErrorData { get; } = data;
}

/// <summary>An acknowledgement did not arrive in time. For broadcasts, <see cref="Responses"/> holds those that did.</summary>
public sealed class SocketAckTimeoutException(string message, IReadOnlyList<SocketArguments>? responses = null) : TimeoutException(message)
{
    public IReadOnlyList<SocketArguments> Responses { get; } = responses ?? [];
}

/// <summary>The socket disconnected before the acknowledgement arrived.</summary>
public sealed class SocketDisconnectedException(DisconnectReason reason)
    : Exception($"The socket disconnected ({reason.ToWireName()}) before the acknowledgement arrived.")
{
    public DisconnectReason Reason { get; } = reason;
}
