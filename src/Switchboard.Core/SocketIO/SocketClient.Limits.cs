using Switchboard.Engine;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// The event rate of one connection (docs/protection.md, "Rate limits"): two token buckets, packets and
/// bytes, refilled from one timestamp, kept in the client itself (32 bytes; a
/// System.Threading.RateLimiting TokenBucketRateLimiter is 192 bytes each, two per connection). A packet
/// over either limit is dropped, an event that asked for an acknowledgement is answered
/// <c>{"ok":false,"error":{"code":"rate_limited",...}}</c>; each drop also fills an excess counter that
/// drains at the packet rate, and a connection whose excess passes the burst (it keeps sending at more
/// than twice its rate) is closed.
/// </summary>
internal sealed partial class SocketClient
{
    private double _packetTokens = double.NaN;
    private double _byteTokens;
    private double _excess;
    private long _refilledAt;

    /// <summary>Takes one packet and its bytes from the buckets; false when the connection is over its rate.</summary>
    private bool AdmitPacket(int bytes)
    {
        var limits = _server.Options.Limits;
        if (limits.EventsPerSecond <= 0 && limits.EventBytesPerSecond <= 0)
        {
            return true;
        }
        Refill(limits);
        if ((limits.EventsPerSecond > 0 && _packetTokens < 1) || (limits.EventBytesPerSecond > 0 && _byteTokens < bytes))
        {
            _excess++;
            return false;
        }
        _packetTokens--;
        _byteTokens -= bytes;
        return true;
    }

    /// <summary>Binary attachments follow their packet's fate; their bytes are owed to the bucket, which may go below zero.</summary>
    private void ChargeAttachment(int bytes)
    {
        if (_server.Options.Limits.EventBytesPerSecond > 0)
        {
            _byteTokens -= bytes;
        }
    }

    private void Refill(LimitOptions limits)
    {
        var now = _server.Time.GetTimestamp();
        if (double.IsNaN(_packetTokens))
        {
            _packetTokens = limits.EventBurst;
            _byteTokens = Math.Max(limits.EventBytesBurst, _server.Options.Engine.MaxPayload);
            _refilledAt = now;
            return;
        }
        var seconds = (double)(now - _refilledAt) / _server.Time.TimestampFrequency;
        _refilledAt = now;
        _packetTokens = Math.Min(limits.EventBurst, _packetTokens + seconds * limits.EventsPerSecond);
        _byteTokens = Math.Min(Math.Max(limits.EventBytesBurst, _server.Options.Engine.MaxPayload), _byteTokens + seconds * limits.EventBytesPerSecond);
        _excess = Math.Max(0, _excess - seconds * Math.Max(limits.EventsPerSecond, 1));
    }

    /// <summary>A packet over the rate: an event with an ack id is answered with the error, anything else dropped.</summary>
    private void DropOverLimit(SocketPacket packet, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var limits = _server.Options.Limits;
        _server.Limits.Refused(SocketLimits.Kind.EventDropped, Session.Id, (int)limits.EventsPerSecond);
        if (_excess > Math.Max(limits.EventBurst, 1))
        {
            _server.Limits.Refused(SocketLimits.Kind.ConnectionClosed, Session.Id, (int)limits.EventsPerSecond);
            DisconnectAll();
            return;
        }
        if (packet.Type is SocketPacketType.Event or SocketPacketType.BinaryEvent && packet.HasAck
            && Find(packet.Namespace) is { } socket
            && SocketArguments.TryCreate(packet.Data, hasName: true, attachments, out _, out _))
        {
            socket.SendAck(packet.AckId, [RateLimited]);
        }
    }

    private static readonly object RateLimited = new RateLimitedReply(false, new RateLimitedError("rate_limited",
        "This connection sends faster than the server allows; the event was dropped. Slow down."));

    private sealed record RateLimitedReply(bool Ok, RateLimitedError Error);

    private sealed record RateLimitedError(string Code, string Message);
}
