using System.Net;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Switchboard.Cluster;

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

    // The sentinels' last answer and when it came, so a flood of refused scripts during a failover asks
    // them once a second, not once per publication; concurrent refusals share one question.
    private static readonly TimeSpan SentinelAnswerReuse = TimeSpan.FromSeconds(1);
    private readonly Lock _sentinelAnswerLock = new();
    private (EndPoint Primary, long At)? _sentinelAnswer;
    private Task<EndPoint?>? _sentinelQuestion;

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
    /// Runs a fenced script (its argument <paramref name="generationAt"/> is the generation the node follows,
    /// its last key the generation key) and handles a refusal (<c>NOGEN &lt;found&gt;</c>, nothing written):
    /// another generation found, a node started it after a loss: adopt it and run again. None found:
    /// without Sentinel the one server lost its data, so a new generation is started and the script runs
    /// again. With Sentinel, the primary the sentinels name is asked directly (where the refused script ran
    /// cannot be known: the multiplexer may route the next command elsewhere): if it holds a generation,
    /// the script reached another server (an old primary back empty, until Sentinel demotes it), so the
    /// script runs on the named primary itself; if it holds none, it lost its data, and the new generation
    /// is started on it, never through the routing. Throws <see cref="ClusterUnavailableException"/> when
    /// no server the cluster follows takes it.
    /// </summary>
    internal async Task<RedisResult> EvaluateFencedAsync(string script, RedisKey[] keys, RedisValue[] argv, int generationAt, string what)
    {
        RedisServerException refused;
        try
        {
            return await _database.ScriptEvaluateAsync(script, keys, argv).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOGEN", StringComparison.Ordinal) || ex.Message.StartsWith("READONLY", StringComparison.Ordinal))
        {
            refused = ex;
        }
        var configuration = ConfigurationOptions.Parse(_redis.Configuration);
        var readOnly = refused.Message.StartsWith("READONLY", StringComparison.Ordinal);
        if (readOnly && string.IsNullOrEmpty(configuration.ServiceName))
        {
            // A replica without Sentinel: nobody to ask which server to write to.
            throw refused;
        }
        // READONLY: the multiplexer still writes to a server that is now a replica (a failover under way):
        // the sentinels' primary is asked directly, as for an empty server.
        var found = readOnly ? "" : refused.Message[5..].Trim();
        if (found.Length > 0)
        {
            Log.GenerationAdopted(_log, NodeId, found);
            _generation = found;
            argv[generationAt] = found;
            return await RunAgainAsync(() => _database.ScriptEvaluateAsync(script, keys, argv)).ConfigureAwait(false);
        }
        if (string.IsNullOrEmpty(configuration.ServiceName))
        {
            var generation = await EnsureGenerationAsync().ConfigureAwait(false);
            Log.GenerationStarted(_log, NodeId, generation, (await _database.IdentifyEndpointAsync(keys[^1]).ConfigureAwait(false))?.ToString() ?? "?");
            argv[generationAt] = generation;
            return await RunAgainAsync(() => _database.ScriptEvaluateAsync(script, keys, argv)).ConfigureAwait(false);
        }
        if (await SentinelPrimaryAsync(configuration).ConfigureAwait(false) is not { } primary)
        {
            // No sentinel answers: nobody can confirm which server is the primary; refuse rather than guess.
            LogFenced("?", "no sentinel answered");
            throw Fenced("no sentinel answered");
        }
        if (_options.Store.Database > 0)
        {
            // A command sent to one server runs in database 0: only the default database can be asked.
            LogFenced(primary.ToString() ?? "?", "a database other than 0");
            throw Fenced($"{primary} could not be asked directly (database {_options.Store.Database})");
        }
        try
        {
            var server = _redis.GetServer(primary);
            var held = (string?)await server.ExecuteAsync("GET", keys[^1]).ConfigureAwait(false);
            if (held is null)
            {
                await server.ExecuteAsync("SET", keys[^1], NewId(), "NX").ConfigureAwait(false);
                held = (string?)await server.ExecuteAsync("GET", keys[^1]).ConfigureAwait(false) ?? throw new RedisException("The cluster generation could not be read back.");
                Log.GenerationStarted(_log, NodeId, held, primary.ToString() ?? "?");
            }
            else if (!readOnly)
            {
                LogFenced(primary.ToString() ?? "?", $"the {what} reached a server without the generation (an old primary back empty?); sent to the sentinels' primary instead");
            }
            if (held != _generation)
            {
                Log.GenerationAdopted(_log, NodeId, held);
                _generation = held;
            }
            argv[generationAt] = held;
            object[] evaluate = [script, keys.Length, .. keys.Select(k => (object)k), .. argv.Select(v => (object)v)];
            return await RunAgainAsync(() => server.ExecuteAsync("EVAL", evaluate)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ArgumentException)
        {
            // The named primary is not reachable from here (or not one of the multiplexer's servers): refuse.
            LogFenced(primary.ToString() ?? "?", ex.Message);
            throw Fenced($"{primary} could not be reached: {ex.Message}");
        }

        ClusterUnavailableException Fenced(string why) =>
            new($"Redis did not take the {what}: the server it reached is not the primary the cluster follows ({why})", refused);

        async Task<RedisResult> RunAgainAsync(Func<Task<RedisResult>> run)
        {
            try
            {
                return await run().ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGEN", StringComparison.Ordinal))
            {
                throw Fenced(ex.Message);
            }
        }
    }

    /// <summary>
    /// The primary the sentinels name; null when none answers. An answer is reused for a second: a
    /// primary that changed meanwhile refuses the script (no generation, or READONLY), which fails the
    /// caller rather than writing anywhere unfenced.
    /// </summary>
    private Task<EndPoint?> SentinelPrimaryAsync(ConfigurationOptions configuration)
    {
        var time = _options.Store.TimeProvider;
        lock (_sentinelAnswerLock)
        {
            if (_sentinelAnswer is { } answer && time.GetElapsedTime(answer.At) < SentinelAnswerReuse)
            {
                return Task.FromResult<EndPoint?>(answer.Primary);
            }
            if (_sentinelQuestion is { IsCompleted: false } asking)
            {
                return asking;
            }
            return _sentinelQuestion = AskSentinelsAsync(configuration);
        }
    }

    private async Task<EndPoint?> AskSentinelsAsync(ConfigurationOptions configuration)
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
                    lock (_sentinelAnswerLock)
                    {
                        _sentinelAnswer = (primary, _options.Store.TimeProvider.GetTimestamp());
                    }
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
