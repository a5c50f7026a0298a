namespace Switchboard.AspNetCore.Transports.PlainWebSocket;

/// <summary>
/// A token bucket: holds up to <c>burst</c> tokens and refills at <c>perSecond</c> (0: never). Not
/// thread-safe; each connection's read loop owns its buckets.
/// </summary>
internal sealed class PlainWebSocketRateLimiter(double perSecond, int burst, TimeProvider time)
{
    private double _tokens = burst;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(burst, _tokens + (now - _last) * perSecond / time.TimestampFrequency);
        _last = now;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens -= 1;
        return true;
    }
}
