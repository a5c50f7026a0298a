namespace Switchboard.Engine;

/// <summary>
/// A transport's way to send one frame on the calling thread, attached to a session's
/// <see cref="OutboundQueue"/> while its writer loop runs. The queue calls it only while that loop waits
/// on an empty queue and nothing else is being sent, so it never overlaps another send.
/// </summary>
internal interface IDirectSender
{
    /// <summary>Sends the frame; completes synchronously when the connection takes it at once.</summary>
    ValueTask Send(in OutboundFrame frame);
}
