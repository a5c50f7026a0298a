using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Clients;

/// <summary>
/// Socket.IO v5 over Engine.IO v4, on a WebSocket (<c>?EIO=4&amp;transport=websocket</c>) or on
/// long-polling (<see cref="PollingPath"/>, <see cref="Wire.EnginePollingConnection"/>): the open
/// packet, CONNECT to "/", pings answered with pongs, <c>42["join",room]</c> with an ack,
/// <c>42["publish",room,payload]</c>, <c>42N["echo",payload]</c> and its <c>43N[payload]</c>.
/// </summary>
internal sealed class SocketIOClient(WireConnection wire, IClientObserver observer) : BenchClient(wire, observer)
{
    public const string Path = "/socket.io/?EIO=4&transport=websocket";

    public const string PollingPath = "/socket.io/?EIO=4&transport=polling";

    private long _nextAck;
    private long _joinAck = -1;

    protected override bool SendJoin(string room)
    {
        var id = Interlocked.Increment(ref _nextAck);
        _joinAck = id;
        var buffer = Scratch(64 + room.Length * 3);
        var n = Append(buffer, 0, "42"u8);
        n = AppendNumber(buffer, n, id);
        n = Append(buffer, n, "[\"join\",\""u8);
        n = AppendAscii(buffer, n, room);
        n = Append(buffer, n, "\"]"u8);
        return Wire.SendText(buffer[..n]);
    }

    public override bool Publish(string room, ReadOnlySpan<byte> payloadJson)
    {
        var buffer = Scratch(64 + room.Length * 3 + payloadJson.Length);
        var n = Append(buffer, 0, "42[\"publish\",\""u8);
        n = AppendAscii(buffer, n, room);
        n = Append(buffer, n, "\","u8);
        n = Append(buffer, n, payloadJson);
        n = Append(buffer, n, "]"u8);
        return Wire.SendText(buffer[..n]);
    }

    public override bool SendEcho(ReadOnlySpan<byte> payloadJson)
    {
        var id = Interlocked.Increment(ref _nextAck);
        var buffer = Scratch(64 + payloadJson.Length);
        var n = Append(buffer, 0, "42"u8);
        n = AppendNumber(buffer, n, id);
        n = Append(buffer, n, "[\"echo\","u8);
        n = Append(buffer, n, payloadJson);
        n = Append(buffer, n, "]"u8);
        return Wire.SendText(buffer[..n]);
    }

    public override void OnText(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            return;
        }
        switch (message[0])
        {
            case (byte)'2':
                Wire.SendText("3"u8);
                return;
            case (byte)'0':
                // The Engine.IO open packet: connect to the main namespace.
                Wire.SendText("40"u8);
                return;
            case (byte)'1':
                Close();
                return;
            case (byte)'4' when message.Length >= 2:
                break;
            default:
                return;
        }
        switch (message[1])
        {
            case (byte)'2':
                if (message.StartsWith("42[\"msg\","u8))
                {
                    Observer.OnDelivery(this, message);
                }
                break;
            case (byte)'3':
                if (TryParseNumber(message[2..], out var id, out _))
                {
                    if (id == _joinAck)
                    {
                        _joinAck = -1;
                        Joined();
                    }
                    else
                    {
                        Observer.OnEchoReply(this, message);
                    }
                }
                break;
            case (byte)'0':
                Ready();
                break;
            case (byte)'4':
                Refused("CONNECT_ERROR " + System.Text.Encoding.UTF8.GetString(message[2..]));
                break;
            case (byte)'1':
                Close();
                break;
        }
    }
}
