using System.Text;
using Microsoft.Extensions.Logging;
using Switchboard.Client.Channels.Transports;

namespace Switchboard.Client.Channels;

/// <summary>
/// A client of Switchboard's channel protocols (docs/clients-dotnet.md, "Channels"): subscribes to channels
/// from a position over the plain WebSocket protocol, Server-Sent Events or long-poll, trying them in
/// <see cref="ChannelClientOptions.Transports"/> order on every connect; reconnects with backoff and resumes
/// every channel from its last position, whatever the transport; reports a position the server cannot
/// continue as a <see cref="ChannelDiscontinuity"/>; publishes with acknowledgement. The same design as the
/// JS client, clients/js/switchboard-channels.js.
/// </summary>
public sealed partial class ChannelClient : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly HttpClient _http;
    private ChannelClientState _state;
    private ChannelConnection? _connection;
    private TaskCompletionSource _stateChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private ChannelClientException? _closeError;

    /// <summary>Creates a client of the server at <paramref name="server"/> (its base URL, http or https). Nothing connects until the first <see cref="Subscribe"/>, <see cref="PublishAsync"/> or <see cref="ConnectAsync"/>.</summary>
    public ChannelClient(Uri server, ChannelClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!server.IsAbsoluteUri || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The server's URL must be absolute, http or https.", nameof(server));
        }
        Options = options ?? new ChannelClientOptions();
        Options.Validate();
        Server = server;
        _token = Options.Token;
        _http = Options.HttpMessageHandler is { } handler
            ? new HttpClient(handler, disposeHandler: false)
            : new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) });
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    /// <summary>The server's base URL.</summary>
    public Uri Server { get; }

    /// <summary>The options.</summary>
    public ChannelClientOptions Options { get; }

    internal ILogger Logger => Options.Logger;

    internal HttpClient Http => _http;

    /// <summary>Where the client is.</summary>
    public ChannelClientState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>The transport in use while <see cref="State"/> is <see cref="ChannelClientState.Connected"/>, else null.</summary>
    public ChannelTransport? Transport
    {
        get
        {
            lock (_gate)
            {
                return _state == ChannelClientState.Connected ? _connection?.Kind : null;
            }
        }
    }

    /// <summary>The server's id of the current connection (WebSocket or SSE), for the HTTP API's <c>exclude</c> and <c>disconnect</c>.</summary>
    public string? ConnectionId
    {
        get
        {
            lock (_gate)
            {
                return _state == ChannelClientState.Connected ? _connection?.ConnectionId : null;
            }
        }
    }

    /// <summary>The error that closed the client, when one did.</summary>
    public ChannelClientException? CloseError
    {
        get
        {
            lock (_gate)
            {
                return _closeError;
            }
        }
    }

    /// <summary><see cref="State"/> changed. Handlers run on the client's loop: keep them short.</summary>
    public event Action<ChannelClientState>? StateChanged;

    /// <summary>A reconnection is scheduled: attempt <see cref="ReconnectingEventArgs.Attempt"/> (from 1) after <see cref="ReconnectingEventArgs.Delay"/>.</summary>
    public event Action<ReconnectingEventArgs>? Reconnecting;

    /// <summary>A connected transport dropped.</summary>
    public event Action<ChannelDisconnectedEventArgs>? Disconnected;

    /// <summary>A transport could not connect; the client tries the next one, or waits and starts over.</summary>
    public event Action<ChannelClientException>? TransportFailed;

    /// <summary>A channel could not be continued from its position (also yielded by its subscriptions).</summary>
    public event Action<ChannelDiscontinuity>? Discontinuity;

    /// <summary>A subscription was refused, or the client closed because of an error (<see cref="CloseError"/>).</summary>
    public event Action<ChannelClientException>? Error;

    /// <summary>Connects now, if not yet started, and returns once a transport is open.</summary>
    /// <exception cref="ChannelClientException">The client closed (an error, or disposed) before connecting.</exception>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        EnsureStarted();
        return WaitConnectedAsync(cancellationToken);
    }

    /// <summary>Stops everything: the connection closes, no reconnect, subscriptions end (their loops complete).</summary>
    public async ValueTask DisposeAsync()
    {
        Close(null);
        if (_loop is { } loop)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Logger.ChannelLoopFailed(ex);
            }
        }
        _http.Dispose();
        _disposed.Dispose();
    }

    private async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                switch (_state)
                {
                    case ChannelClientState.Connected:
                        return;
                    case ChannelClientState.Closed:
                        throw _closeError ?? Closed();
                }
                changed = _stateChanged.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal static ChannelClientException Closed() => new("closed", "The channel client is closed.");

    private bool SetState(ChannelClientState state)
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            if (_state == state || _state == ChannelClientState.Closed)
            {
                return false;
            }
            _state = state;
            previous = _stateChanged;
            _stateChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
        Raise(StateChanged, state, nameof(StateChanged));
        return true;
    }

    private void Close(ChannelClientException? error)
    {
        List<ChannelSubscription> subscriptions;
        lock (_gate)
        {
            if (_state == ChannelClientState.Closed)
            {
                return;
            }
            _closeError = error;
            subscriptions = [.. _channels.Values.SelectMany(e => e.Subscriptions)];
        }
        if (error is not null)
        {
            Logger.ChannelClosedByError(error.Code, error.Message);
        }
        _disposed.Cancel();
        SetState(ChannelClientState.Closed);
        foreach (var subscription in subscriptions)
        {
            subscription.End(error);
        }
        if (error is not null)
        {
            Raise(Error, error, nameof(Error));
        }
    }

    private void Raise<T>(Action<T>? handler, T value, string name)
    {
        if (handler is null)
        {
            return;
        }
        try
        {
            handler(value);
        }
        catch (Exception ex)
        {
            Logger.ChannelHandlerFailed(name, ex);
        }
    }

    /// <summary>The URL of an endpoint with these channels and query parameters (the token too, when it travels in the query).</summary>
    internal Uri Endpoint(string path, IEnumerable<string> channels, IEnumerable<KeyValuePair<string, string>>? query = null, bool webSocket = false, bool tokenInQuery = false)
    {
        var builder = new UriBuilder(new Uri(Server, path));
        if (webSocket)
        {
            builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        }
        var text = new StringBuilder();
        void Add(string key, string value) =>
            text.Append(text.Length == 0 ? "" : "&").Append(key).Append('=').Append(Uri.EscapeDataString(value));
        foreach (var channel in channels)
        {
            Add("channel", channel);
        }
        foreach (var (key, value) in query ?? [])
        {
            Add(key, value);
        }
        if (Token is { } token && (tokenInQuery || Options.TokenInQuery))
        {
            Add("token", token);
        }
        builder.Query = text.ToString();
        return builder.Uri;
    }

    /// <summary>A GET of an HTTP transport, with the token in <c>Authorization</c> unless it travels in the query.</summary>
    internal HttpRequestMessage Get(Uri uri, string accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.ParseAdd(accept);
        request.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { NoStore = true };
        if (Token is { } token && !Options.TokenInQuery)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        return request;
    }
}
