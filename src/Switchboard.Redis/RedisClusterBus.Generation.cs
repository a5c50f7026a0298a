using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Switchboard.Redis;

/// <summary>
/// Fencing (docs/decisions/0007): the cluster generation, a random id kept in Redis and replicated like
/// every key. The publish script only writes on a server holding the generation the node follows, so a
/// server that came back empty and believes it is the primary (until Sentinel demotes it) takes nothing.
/// </summary>
public sealed partial class RedisClusterBus
{
    private readonly RedisKey _generationKey;
    private volatile string? _generation;
    private ConnectionMultiplexer? _sentinels;
    private readonly SemaphoreSlim _sentinelGate = new(1, 1);

    /// <summary>The cluster generation this node follows (null until it has joined).</summary>
    public string? Generation => _generation;

    /// <summary>Learns the cluster's generation, starting one on a Redis that has none (a new cluster).</summary>
    private async Task<string> EnsureGenerationAsync()
    {
        await _database.StringSetAsync(_generationKey, NewId(), when: When.NotExists).ConfigureAwait(false);
        var generation = (string?)await _database.StringGetAsync(_generationKey).ConfigureAwait(false) ?? throw new RedisException("The cluster generation could not be read back.");
        _generation = generation;
        return generation;
    }

    /// <summary>
    /// The publish script found another generation, or none, on the server it ran on. Another one: a node
    /// started it after a loss; adopt it. None: either this server lost its data while the cluster follows
    /// it (no Sentinel, or Sentinel names it): start a new generation, every epoch being new anyway; or it is
    /// not the primary Sentinel names (an old primary back empty): null, and the publication is refused.
    /// </summary>
    private async Task<string?> RecoverGenerationAsync(string found, RedisKey routedBy)
    {
        if (found.Length > 0)
        {
            Log.GenerationAdopted(_log, NodeId, found);
            _generation = found;
            return found;
        }
        var reached = await _database.IdentifyEndpointAsync(routedBy).ConfigureAwait(false);
        var primary = await SentinelPrimaryAsync().ConfigureAwait(false);
        if (primary is not null && !SameEndpoint(primary, reached))
        {
            Log.Fenced(_log, NodeId, reached?.ToString() ?? "?", primary.ToString() ?? "?");
            return null;
        }
        var generation = await EnsureGenerationAsync().ConfigureAwait(false);
        Log.GenerationStarted(_log, NodeId, generation, reached?.ToString() ?? "?");
        return generation;
    }

    /// <summary>The primary the sentinels name, when the connection is a Sentinel one; null otherwise or when no sentinel answers.</summary>
    private async Task<EndPoint?> SentinelPrimaryAsync()
    {
        var configuration = ConfigurationOptions.Parse(_redis.Configuration);
        if (string.IsNullOrEmpty(configuration.ServiceName))
        {
            return null;
        }
        await _sentinelGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _sentinels ??= await ConnectionMultiplexer.SentinelConnectAsync(configuration).ConfigureAwait(false);
        }
        finally
        {
            _sentinelGate.Release();
        }
        foreach (var endpoint in _sentinels.GetEndPoints())
        {
            try
            {
                if (await _sentinels.GetServer(endpoint).SentinelGetMasterAddressByNameAsync(configuration.ServiceName).ConfigureAwait(false) is { } primary)
                {
                    return primary;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Ask the next sentinel.
            }
        }
        // No sentinel answers: nobody can confirm the server is the primary; refuse rather than guess.
        return new IPEndPoint(IPAddress.None, 0);
    }

    private static bool SameEndpoint(EndPoint a, EndPoint? b) =>
        b is not null && string.Equals(Normalize(a), Normalize(b), StringComparison.OrdinalIgnoreCase);

    private static string Normalize(EndPoint endpoint) => endpoint switch
    {
        IPEndPoint ip => $"{(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address)}:{ip.Port}",
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endpoint.ToString() ?? "",
    };
}
