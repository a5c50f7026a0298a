using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchboard.SocketIO;

/// <summary>
/// A dynamic namespace: any requested name that its matcher accepts becomes a child namespace on first
/// use, sharing this parent's middleware, connection handlers and shared event handlers.
/// </summary>
public sealed class ParentNamespace
{
    private readonly Func<string, JsonElement, ValueTask<bool>> _matcher;
    private readonly List<Func<Socket, Func<ValueTask>, ValueTask>> _middleware = [];
    private readonly List<Func<Socket, ValueTask>> _connectionHandlers = [];
    private readonly HandlerTable _sharedHandlers = new();

    internal ParentNamespace(Func<string, JsonElement, ValueTask<bool>> matcher) => _matcher = matcher;

    internal static ParentNamespace FromRegex(Regex pattern) => new((name, _) => ValueTask.FromResult(pattern.IsMatch(name)));

    internal ValueTask<bool> MatchesAsync(string name, JsonElement auth) => _matcher(name, auth);

    internal Func<Socket, Func<ValueTask>, ValueTask>[] Middleware
    {
        get
        {
            lock (_middleware)
            {
                return [.. _middleware];
            }
        }
    }

    internal Func<Socket, ValueTask>[] ConnectionHandlers
    {
        get
        {
            lock (_connectionHandlers)
            {
                return [.. _connectionHandlers];
            }
        }
    }

    internal HandlerTable.Entry[]? SharedHandlers(string eventName) => _sharedHandlers.Get(eventName);

    /// <summary>Adds connection middleware to every namespace this parent makes.</summary>
    public ParentNamespace Use(Func<Socket, Func<ValueTask>, ValueTask> middleware)
    {
        lock (_middleware)
        {
            _middleware.Add(middleware);
        }
        return this;
    }

    /// <summary>Runs for every socket that connects to a namespace this parent makes.</summary>
    public ParentNamespace OnConnection(Func<Socket, ValueTask> handler)
    {
        lock (_connectionHandlers)
        {
            _connectionHandlers.Add(handler);
        }
        return this;
    }

    /// <inheritdoc cref="OnConnection(Func{Socket, ValueTask})"/>
    public ParentNamespace OnConnection(Action<Socket> handler) =>
        OnConnection(socket => { handler(socket); return ValueTask.CompletedTask; });

    /// <summary>Listens for an event from any socket of the namespaces this parent makes.</summary>
    public ParentNamespace On(string eventName, Func<SocketEvent, ValueTask> handler)
    {
        _sharedHandlers.Add(eventName, handler, handler);
        return this;
    }

    /// <inheritdoc cref="On(string, Func{SocketEvent, ValueTask})"/>
    public ParentNamespace On(string eventName, Action<SocketEvent> handler)
    {
        _sharedHandlers.Add(eventName, handler, e => { handler(e); return ValueTask.CompletedTask; });
        return this;
    }

    /// <summary>Removes one shared handler of an event (as it was given), or all of them when <paramref name="handler"/> is null.</summary>
    public ParentNamespace Off(string eventName, Delegate? handler = null)
    {
        _sharedHandlers.Remove(eventName, handler);
        return this;
    }
}
