namespace Switchboard.Engine;

/// <summary>
/// A transport's way to send one item on the calling thread, attached to a session's
/// <see cref="OutboundQueue{T}"/> while its writer loop runs. The queue calls it only while that loop waits
/// on an empty queue and nothing else is being sent, so it never overlaps another send.
/// </summary>
internal interface IDirectSender<T>
    where T : struct
{
    /// <summary>Sends the item; completes synchronously when the connection takes it at once.</summary>
    ValueTask Send(in T frame);
}

/// <summary>
/// The connection that carries a session while a transport runs it (<see cref="EngineSession.AttachTransport"/>):
/// it sends replies directly, and it can be dropped at once when the client stopped reading.
/// </summary>
internal interface IEngineTransportHandle : IDirectSender<OutboundFrame>
{
    /// <summary>Drops the connection now; whatever it was sending fails.</summary>
    void Abort();
}
