using Switchboard.LoadGen.Wire;

namespace Switchboard.LoadGen.Clients;

/// <summary>
/// ASP.NET Core SignalR's JSON hub protocol over WebSocket without negotiation (as a client with
/// skipNegotiation): the handshake <c>{"protocol":"json","version":1}</c>, invocations of Join / Publish
/// / Echo, completions, and pings both ways. Records end with 0x1E.
/// </summary>
internal sealed class SignalRClient(WireConnection wire, IClientObserver observer) : BenchClient(wire, observer)
{
    public const string Path = "/hub";

    private long _nextInvocation;
    private long _joinInvocation = -1;
    private bool _handshaken;

    protected override void OnConnected() => Wire.SendText("{\"protocol\":\"json\",\"version\":1}\u001e"u8);

    protected override bool SendJoin(string room)
    {
        var id = Interlocked.Increment(ref _nextInvocation);
        _joinInvocation = id;
        var buffer = Scratch(96 + room.Length * 3);
        var n = Append(buffer, 0, "{\"type\":1,\"invocationId\":\""u8);
        n = AppendNumber(buffer, n, id);
        n = Append(buffer, n, "\",\"target\":\"Join\",\"arguments\":[\""u8);
        n = AppendAscii(buffer, n, room);
        n = Append(buffer, n, "\"]}\u001e"u8);
        return Wire.SendText(buffer[..n]);
    }

    public override bool Publish(string room, ReadOnlySpan<byte> payloadJson)
    {
        var buffer = Scratch(96 + room.Length * 3 + payloadJson.Length);
        var n = Append(buffer, 0, "{\"type\":1,\"target\":\"Publish\",\"arguments\":[\""u8);
        n = AppendAscii(buffer, n, room);
        n = Append(buffer, n, "\","u8);
        n = Append(buffer, n, payloadJson);
        n = Append(buffer, n, "]}\u001e"u8);
        return Wire.SendText(buffer[..n]);
    }

    public override bool SendEcho(ReadOnlySpan<byte> payloadJson)
    {
        var id = Interlocked.Increment(ref _nextInvocation);
        var buffer = Scratch(96 + payloadJson.Length);
        var n = Append(buffer, 0, "{\"type\":1,\"invocationId\":\""u8);
        n = AppendNumber(buffer, n, id);
        n = Append(buffer, n, "\",\"target\":\"Echo\",\"arguments\":["u8);
        n = Append(buffer, n, payloadJson);
        n = Append(buffer, n, "]}\u001e"u8);
        return Wire.SendText(buffer[..n]);
    }

    public override void KeepAlive() => Wire.SendText("{\"type\":6}\u001e"u8);

    public override void OnText(ReadOnlySpan<byte> message)
    {
        while (!message.IsEmpty)
        {
            var end = message.IndexOf((byte)0x1E);
            var record = end < 0 ? message : message[..end];
            message = end < 0 ? default : message[(end + 1)..];
            OnRecord(record);
        }
    }

    private void OnRecord(ReadOnlySpan<byte> record)
    {
        if (!_handshaken)
        {
            _handshaken = true;
            if (record.SequenceEqual("{}"u8))
            {
                Ready();
            }
            else
            {
                Refused("SignalR handshake refused: " + System.Text.Encoding.UTF8.GetString(record));
            }
            return;
        }
        if (record.StartsWith("{\"type\":1,"u8))
        {
            if (record.IndexOf("\"target\":\"msg\""u8) >= 0)
            {
                Observer.OnDelivery(this, record);
            }
            return;
        }
        if (record.StartsWith("{\"type\":3,"u8))
        {
            var at = record.IndexOf("\"invocationId\":\""u8);
            if (at < 0 || !TryParseNumber(record[(at + 16)..], out var id, out _))
            {
                return;
            }
            if (id == _joinInvocation)
            {
                _joinInvocation = -1;
                if (record.IndexOf("\"error\""u8) >= 0)
                {
                    JoinFailed(System.Text.Encoding.UTF8.GetString(record));
                }
                else
                {
                    Joined();
                }
            }
            else
            {
                Observer.OnEchoReply(this, record);
            }
            return;
        }
        if (record.StartsWith("{\"type\":7"u8))
        {
            Close();
        }
    }
}
