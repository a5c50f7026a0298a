namespace Switchboard.Client;

/// <summary>
/// Reconnection delays with socket.io-client's semantics: the n-th attempt (from 0) waits
/// <c>delay · 2ⁿ</c>, moved up or down (chosen by the random draw) by a random part of itself up to the
/// randomization factor, and capped at the maximum delay.
/// </summary>
internal sealed class ReconnectBackoff(TimeSpan delay, TimeSpan max, double randomizationFactor, Random random)
{
    public int Attempts { get; private set; }

    public TimeSpan Next()
    {
        var ms = delay.TotalMilliseconds * Math.Pow(2, Attempts++);
        if (randomizationFactor > 0)
        {
            var draw = random.NextDouble();
            var deviation = Math.Floor(draw * randomizationFactor * ms);
            // The draw's first decimal decides the direction, so one draw gives both.
            ms = ((int)Math.Floor(draw * 10) & 1) == 0 ? ms - deviation : ms + deviation;
        }
        return TimeSpan.FromMilliseconds(Math.Floor(Math.Min(ms, max.TotalMilliseconds)));
    }

    public void Reset() => Attempts = 0;
}
