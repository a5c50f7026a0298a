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

    // While an old primary is back, every publication that reaches it is refused: one line per 10 s.
    private readonly Logging.LogThrottle _fencedLog = new(Logging.LogThrottle.DefaultInterval);

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
    /// started it after a loss; adopt it. None: without Sentinel the one server lost its data, so start a
    /// new generation (every epoch is new anyway). With Sentinel, the primary the sentinels name is asked
    /// directly (where the failed script ran cannot be known: the multiplexer may route the next command
    /// elsewhere): if it has a generation, the script reached another server (an old primary back empty),
    /// so the publication is refused (null); if it has none, it lost its data, and the new generation is
    /// started on it, never through the routing.
    /// </summary>
    private async Task<string?> RecoverGenerationAsync(string found, RedisKey routedBy)
    {
        if (found.Length > 0)
        {
            Log.GenerationAdopted(_log, NodeId, found);
            _generation = found;
            return found;
        }
        var configuration = ConfigurationOptions.Parse(_redis.Configuration);
        if (string.IsNullOrEmpty(configuration.ServiceName))
        {
            var generation = await EnsureGenerationAsync().ConfigureAwait(false);
            Log.GenerationStarted(_log, NodeId, generation, (await _database.IdentifyEndpointAsync(routedBy).ConfigureAwait(false))?.ToString() ?? "?");
            return generation;
        }
        if (await SentinelPrimaryAsync(configuration).ConfigureAwait(false) is not { } primary)
        {
            // No sentinel answers: nobody can confirm which server is the primary; refuse rather than guess.
            LogFenced("?", "no sentinel answered");
            return null;
        }
        try
        {
            if (_options.Store.Database > 0)
            {
                // A command sent to one server runs in database 0: only the default database can be asked.
                LogFenced(primary.ToString() ?? "?", "a database other than 0");
                return null;
            }
            var server = _redis.GetServer(primary);
            var held = (string?)await server.ExecuteAsync("GET", _generationKey).ConfigureAwait(false);
            if (held is not null)
            {
                LogFenced(primary.ToString() ?? "?", "the publication reached a server without the generation (an old primary back empty?)");
                if (held != _generation)
                {
                    Log.GenerationAdopted(_log, NodeId, held);
                    _generation = held;
                }
                return null;
            }
            await server.ExecuteAsync("SET", _generationKey, NewId(), "NX").ConfigureAwait(false);
            var started = (string?)await server.ExecuteAsync("GET", _generationKey).ConfigureAwait(false) ?? throw new RedisException("The cluster generation could not be read back.");
            _generation = started;
            Log.GenerationStarted(_log, NodeId, started, primary.ToString() ?? "?");
            return started;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ArgumentException)
        {
            // The named primary is not reachable from here (or not one of the multiplexer's servers): refuse.
            LogFenced(primary.ToString() ?? "?", ex.Message);
            return null;
        }
    }

    /// <summary>The primary the sentinels name; null when none answers.</summary>
    private async Task<EndPoint?> SentinelPrimaryAsync(ConfigurationOptions configuration)
    {
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
                if (await _sentinels.GetServer(endpoint).SentinelGetMasterAddressByNameAsync(configuration.ServiceName!).ConfigureAwait(false) is { } primary)
                {
                    return primary;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Ask the next sentinel.
            }
        }
        return null;
    }

    private void LogFenced(string primary, string why)
    {
        if (_fencedLog.ShouldLog(_log, "cluster fenced", LogLevel.Warning))
        {
            Log.Fenced(_log, NodeId, primary, why);
        }
    }
}
