using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Clients;

/// <summary>
/// An EventSource-style subscriber: the room is in the URL (the scenario fills <c>{room}</c> in the
/// template given on the command line); every event whose data holds the bench payload's <c>@</c>
/// marker is a delivery (a server's own events, such as a "subscribed" notice, are not). It cannot
/// publish or echo. The channel long-poll subscriber is the same client on another wire (each
/// publication of an answer is one message).
/// </summary>
internal sealed class SseClient(WireConnection wire, IClientObserver observer) : BenchClient(wire, observer)
{
    protected override void OnConnected() => Ready();

    protected override bool SendJoin(string room)
    {
        // The subscription was made by the request itself.
        Joined();
        return true;
    }

    public override bool Publish(string room, ReadOnlySpan<byte> payloadJson) => false;

    public override bool SendEcho(ReadOnlySpan<byte> payloadJson) => false;

    public override void OnText(ReadOnlySpan<byte> message)
    {
        if (message.IndexOf((byte)'@') >= 0)
        {
            Observer.OnDelivery(this, message);
        }
    }
}
