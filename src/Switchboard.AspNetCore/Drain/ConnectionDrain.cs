using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Switchboard.Channels;
using Switchboard.Connections;
using Switchboard.Engine;
using Switchboard.Protocols;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Drain;

/// <summary>
/// The paced drain of every Switchboard connection of the app when the host stops (docs/drain.md). Once
/// started, <see cref="IsDraining"/> makes every endpoint refuse new connections (503 with
/// <c>Retry-After</c>, so a balancer moves them on), and the connections open at that moment are closed
/// in a random order, evenly spaced over the window, each with <see cref="DisconnectCode.Shutdown"/>:
/// reconnect and resume. One instance per app, registered by <c>AddSwitchboard</c> and started by the
/// host's stopping (<see cref="DrainHostedService"/>); the Map… methods add the connections of their
/// endpoints as sources.
/// </summary>
public sealed partial class ConnectionDrain
{
    private readonly object _gate = new();
    private readonly List<Func<IEnumerable<IConnection>>> _sources = [];
    private readonly HashSet<object> _owners = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _hurry = new();
    private readonly DrainOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Task? _completion;
    private volatile bool _draining;

    /// <summary>A drain with these options, clock and log (<c>AddSwitchboard</c> registers one).</summary>
    public ConnectionDrain(DrainOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Window, TimeSpan.Zero, "Drain:Window");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RetryAfter, TimeSpan.Zero, "Drain:RetryAfter");
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The log category of the drain.</summary>
    public const string Category = "Switchboard.Drain";

    /// <summary>True from the start of the drain: new connections are refused.</summary>
    public bool IsDraining => _draining;

    /// <summary>The configured window (the drain may use less: see <see cref="DrainOptions.Window"/>).</summary>
    public TimeSpan Window => _options.Window;

    /// <summary>The <c>Retry-After</c> header value of a refusal during the drain, in whole seconds (at least 1).</summary>
    public string RetryAfter => Math.Max(1, (int)Math.Ceiling(_options.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Completes when the drain has closed every connection; null before it started.</summary>
    public Task? Completion
    {
        get
        {
            lock (_gate)
            {
                return _completion;
            }
        }
    }

    /// <summary>Drains the sessions of an Engine.IO server (under Socket.IO or bare). Adding the same server again does nothing.</summary>
    public void Add(EngineServer server) => Add(server, () => server.Sessions);

    /// <summary>Drains the channel-protocol connections of a namespace (SSE, long-poll, plain WebSocket). Adding the same hub again does nothing.</summary>
    public void Add(ChannelHub hub) => Add(hub, () => hub.Connections.OfType<IConnection>());

    private void Add(object owner, Func<IEnumerable<IConnection>> source)
    {
        lock (_gate)
        {
            if (_owners.Add(owner))
            {
                _sources.Add(source);
            }
        }
    }

    /// <summary>
    /// Starts the drain (once; later calls return the same task): refuses new connections from now on and
    /// closes the open ones over the window, cut to <paramref name="limit"/> when that is shorter.
    /// Cancelling <paramref name="cancellationToken"/> stops this caller's wait, not the drain: the
    /// connections are still closed over the window (use <see cref="Hurry"/> to close them at once).
    /// </summary>
    public Task StartAsync(TimeSpan? limit = null, CancellationToken cancellationToken = default)
    {
        return Start(limit).WaitAsync(cancellationToken);
    }

    private Task Start(TimeSpan? limit)
    {
        lock (_gate)
        {
            if (_completion is null)
            {
                _draining = true;
                var window = _options.Window;
                if (limit is { } most && most < window)
                {
                    LogWindowCut(_logger, window, most);
                    window = most < TimeSpan.Zero ? TimeSpan.Zero : most;
                }
                _completion = RunAsync(window);
            }
            return _completion;
        }
    }

    /// <summary>Closes whatever is left at once (the host's shutdown timeout ran out).</summary>
    public void Hurry()
    {
        try
        {
            _hurry.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync(TimeSpan window)
    {
        // Off the caller's thread: the host's stopping callbacks and hosted services go on meanwhile.
        await Task.Yield();
        var connections = Snapshot();
        // A random order, so every protocol's clients are spread over the whole window.
        Random.Shared.Shuffle(connections);
        LogStarted(_logger, connections.Length, window);
        var started = _time.GetTimestamp();
        var hurried = false;
        for (var i = 0; i < connections.Length; i++)
        {
            if (!hurried && window > TimeSpan.Zero)
            {
                var due = window * i / connections.Length;
                var wait = due - _time.GetElapsedTime(started);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    try
                    {
                        await Task.Delay(wait, _time, _hurry.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        hurried = true;
                        LogHurried(_logger, connections.Length - i);
                    }
                }
            }
            Close(connections[i]);
        }
        // Whatever opened while the drain began (a handshake admitted just before it) goes too.
        var late = Snapshot();
        foreach (var connection in late)
        {
            Close(connection);
        }
        LogFinished(_logger, connections.Length, late.Length, (long)_time.GetElapsedTime(started).TotalMilliseconds);
    }

    private void Close(IConnection connection)
    {
        try
        {
            connection.Disconnect(DisconnectCode.Shutdown);
        }
        catch (Exception ex)
        {
            // One connection's close handler failing must not leave the others open.
            LogCloseFailed(_logger, connection.Protocol, connection.Id, ex);
        }
    }

    private IConnection[] Snapshot()
    {
        Func<IEnumerable<IConnection>>[] sources;
        lock (_gate)
        {
            sources = [.. _sources];
        }
        var open = new HashSet<IConnection>(ReferenceEqualityComparer.Instance);
        foreach (var source in sources)
        {
            foreach (var connection in source())
            {
                if (!connection.IsClosed)
                {
                    open.Add(connection);
                }
            }
        }
        return [.. open];
    }

    [LoggerMessage(1, LogLevel.Information, "Draining {Count} connections over {Window}; new connections are refused")]
    private static partial void LogStarted(ILogger logger, int count, TimeSpan window);

    [LoggerMessage(2, LogLevel.Information, "Drained {Count} connections (and {Late} opened as the drain began) in {ElapsedMs} ms")]
    private static partial void LogFinished(ILogger logger, int count, int late, long elapsedMs);

    [LoggerMessage(3, LogLevel.Warning, "The drain window {Window} is longer than the host's shutdown timeout allows; connections are closed over {Limit}")]
    private static partial void LogWindowCut(ILogger logger, TimeSpan window, TimeSpan limit);

    [LoggerMessage(4, LogLevel.Warning, "The host's shutdown timeout ran out during the drain: the {Count} connections left are closed at once")]
    private static partial void LogHurried(ILogger logger, int count);

    [LoggerMessage(5, LogLevel.Error, "Closing {Protocol} connection {Id} during the drain failed")]
    private static partial void LogCloseFailed(ILogger logger, string protocol, string id, Exception exception);
}
