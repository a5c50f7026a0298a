using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Limits;

/// <summary>Why a new connection was refused, or that it was admitted.</summary>
internal enum Admission
{
    /// <summary>The connection may open.</summary>
    Admitted,

    /// <summary>The server holds <see cref="LimitOptions.MaxConnections"/> connections.</summary>
    TooManyConnections,

    /// <summary>The client's address holds <see cref="LimitOptions.MaxConnectionsPerIp"/> connections.</summary>
    TooManyConnectionsPerIp,

    /// <summary>The client's address opens connections faster than <see cref="LimitOptions.HandshakesPerSecondPerIp"/>.</summary>
    RateLimited,
}

/// <summary>
/// Admission of new connections, one instance shared by every Switchboard endpoint of the app
/// (docs/protection.md, "Connection limits"): connections in total and per client address, and new
/// connections per second per address (a token bucket). The address is
/// <see cref="ConnectionInfo.RemoteIpAddress"/>, which ASP.NET Core's forwarded-headers middleware sets
/// from <c>X-Forwarded-For</c> when the app trusts its proxy. A connection holds its slot until it really
/// ends: the request or WebSocket completes, or, for an Engine.IO polling session, the session closes.
/// </summary>
internal sealed partial class ConnectionLimiter : IDisposable, Diagnostics.IMetricsSource
{
    /// <summary>The shortest time between two log lines of one kind of refusal.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<IPAddress, Address> _addresses = new();
    private readonly LimitOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _sweeper;
    private readonly long[] _refused = new long[4];
    private readonly long[] _logged = new long[4];
    private readonly long[] _lastLog = new long[4];
    private int _connections;

    /// <summary>A limiter enforcing <paramref name="options"/>.</summary>
    /// <param name="options">The connection limits.</param>
    /// <param name="time">The clock of the handshake rate.</param>
    /// <param name="logger">Where refusals are logged (throttled).</param>
    public ConnectionLimiter(LimitOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _sweeper = time.CreateTimer(static s => ((ConnectionLimiter)s!).Sweep(), this, SweepPeriod, SweepPeriod);
    }

    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(30);

    /// <summary>Connections holding a slot now.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Addresses with connections or a recent handshake (tracked for their counts and buckets).</summary>
    public int TrackedAddresses => _addresses.Count;

    /// <summary>How many connections were refused for <paramref name="reason"/> since the start.</summary>
    public long Refused(Admission reason) => Interlocked.Read(ref _refused[(int)reason]);

    /// <summary>
    /// Takes a slot for a new connection from <paramref name="remote"/>; anything but
    /// <see cref="Admission.Admitted"/> took nothing. A <paramref name="handshake"/> also takes a token of
    /// the address's handshake rate; a request that continues a session (a long-poll with its cursor)
    /// does not.
    /// </summary>
    public Admission TryAdmit(IPAddress? remote, bool handshake = true)
    {
        var key = Key(remote);
        Address address;
        while (true)
        {
            address = _addresses.GetOrAdd(key, static _ => new Address());
            lock (address)
            {
                if (address.Removed)
                {
                    continue;
                }
                var refusal = Admit(address, handshake);
                if (refusal != Admission.Admitted)
                {
                    Count(refusal, key);
                }
                return refusal;
            }
        }
    }

    /// <summary>Called under the address's lock.</summary>
    private Admission Admit(Address address, bool handshake)
    {
        var now = _time.GetTimestamp();
        var rate = handshake ? _options.HandshakesPerSecondPerIp : 0;
        if (rate > 0)
        {
            var burst = Math.Max(1, _options.HandshakeBurstPerIp);
            address.Tokens = address.RefilledAt == 0 ? burst
                : Math.Min(burst, address.Tokens + (double)(now - address.RefilledAt) / _time.TimestampFrequency * rate);
            address.RefilledAt = now;
            if (address.Tokens < 1)
            {
                return Admission.RateLimited;
            }
        }
        if (_options.MaxConnectionsPerIp > 0 && address.Connections >= _options.MaxConnectionsPerIp)
        {
            return Admission.TooManyConnectionsPerIp;
        }
        if (_options.MaxConnections > 0 && Interlocked.Increment(ref _connections) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _connections);
            return Admission.TooManyConnections;
        }
        if (_options.MaxConnections <= 0)
        {
            Interlocked.Increment(ref _connections);
        }
        address.Tokens -= rate > 0 ? 1 : 0;
        address.Connections++;
        return Admission.Admitted;
    }

    /// <summary>Gives back the slot of a connection <see cref="TryAdmit"/> admitted, once it has ended.</summary>
    public void Release(IPAddress? remote)
    {
        Interlocked.Decrement(ref _connections);
        if (_addresses.TryGetValue(Key(remote), out var address))
        {
            lock (address)
            {
                address.Connections = Math.Max(0, address.Connections - 1);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="next"/> when the request's address is admitted, and holds its slot until the
    /// request completes; refuses it with the channel protocols' JSON error otherwise.
    /// <paramref name="continues"/> tells a request that continues a session, which takes no token of
    /// the handshake rate.
    /// </summary>
    public RequestDelegate Wrap(RequestDelegate next, Func<HttpContext, bool>? continues = null) => async context =>
    {
        var remote = context.Connection.RemoteIpAddress;
        var admission = TryAdmit(remote, handshake: continues?.Invoke(context) != true);
        if (admission != Admission.Admitted)
        {
            context.Response.Headers.RetryAfter = RetryAfter(admission);
            await Shared.ChannelRequestAuth.WriteErrorAsync(context, Status(admission), Code(admission), Message(admission)).ConfigureAwait(false);
            return;
        }
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Release(remote);
        }
    };

    /// <summary>503 when the whole server is full, 429 when one address asks too much.</summary>
    public static int Status(Admission admission) =>
        admission == Admission.TooManyConnections ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status429TooManyRequests;

    /// <summary>The error code the channel protocols answer (<c>{"error":{"code":...}}</c>) and Engine.IO's message.</summary>
    public static string Code(Admission admission) => admission switch
    {
        Admission.TooManyConnections => "too_many_connections",
        Admission.TooManyConnectionsPerIp => "too_many_connections_per_ip",
        Admission.RateLimited => "rate_limited",
        _ => "",
    };

    /// <summary>The message a refused client is given for <paramref name="admission"/>.</summary>
    public static string Message(Admission admission) => admission switch
    {
        Admission.TooManyConnections => "the server holds as many connections as it may; retry later",
        Admission.TooManyConnectionsPerIp => "this address holds as many connections as it may; close some first",
        _ => "this address opens connections too fast; retry later",
    };

    /// <summary>Seconds a refused client should wait: a second for the rate, ten for a full server or address.</summary>
    public static string RetryAfter(Admission admission) => admission == Admission.RateLimited ? "1" : "10";

    /// <summary>The key an address is counted under: IPv4 (also when mapped into IPv6) as is, IPv6 by its /64.</summary>
    internal static IPAddress Key(IPAddress? remote)
    {
        if (remote is null)
        {
            return IPAddress.None;
        }
        if (remote.IsIPv4MappedToIPv6)
        {
            return remote.MapToIPv4();
        }
        if (remote.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return remote;
        }
        Span<byte> bytes = stackalloc byte[16];
        remote.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    private void Count(Admission refusal, IPAddress key)
    {
        var i = (int)refusal;
        var total = Interlocked.Increment(ref _refused[i]);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastLog[i]);
        if ((last != 0 && _time.GetElapsedTime(last, now) < LogInterval) || Interlocked.CompareExchange(ref _lastLog[i], now, last) != last)
        {
            return;
        }
        LogRefused(_logger, Code(refusal), key.ToString(), total - Interlocked.Exchange(ref _logged[i], total));
    }

    /// <summary>Forgets addresses with no connection whose bucket has refilled, so the table holds only active addresses.</summary>
    private void Sweep()
    {
        var now = _time.GetTimestamp();
        var refill = _options.HandshakesPerSecondPerIp > 0
            ? TimeSpan.FromSeconds(Math.Max(1, _options.HandshakeBurstPerIp) / _options.HandshakesPerSecondPerIp)
            : TimeSpan.Zero;
        foreach (var (key, address) in _addresses)
        {
            lock (address)
            {
                if (address.Connections > 0 || (address.RefilledAt != 0 && _time.GetElapsedTime(address.RefilledAt, now) < refill))
                {
                    continue;
                }
                address.Removed = true;
            }
            _addresses.TryRemove(new KeyValuePair<IPAddress, Address>(key, address));
        }
    }

    /// <summary>Stops the periodic sweep of idle per-address entries.</summary>
    public void Dispose() => _sweeper.Dispose();

    /// <summary>The refusals counted so far, under their codes (<c>switchboard.limits.refusals</c>, docs/metrics.md).</summary>
    void Diagnostics.IMetricsSource.ObserveRefusals(ICollection<System.Diagnostics.Metrics.Measurement<long>> refusals)
    {
        foreach (var admission in (ReadOnlySpan<Admission>)[Admission.TooManyConnections, Admission.TooManyConnectionsPerIp, Admission.RateLimited])
        {
            refusals.Add(new(Refused(admission), new KeyValuePair<string, object?>("switchboard.limit", Code(admission))));
        }
    }

    private sealed class Address
    {
        public int Connections;
        public double Tokens;
        public long RefilledAt;
        public bool Removed;
    }

    [LoggerMessage(1, LogLevel.Warning, "Connection refused: {Code} from {Remote} ({Count} refusals of this kind since the last such line)")]
    private static partial void LogRefused(ILogger logger, string code, string remote, long count);
}
