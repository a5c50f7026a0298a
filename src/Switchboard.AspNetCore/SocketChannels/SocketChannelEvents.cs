using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.AspNetCore.Shared;
using Switchboard.Channels;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.SocketChannels;

/// <summary>
/// Channels for Socket.IO clients (docs/auth.md, "Socket.IO channel events"): connection middleware that
/// asks the <see cref="IChannelAuthorizer"/> about the client's token and refuses it with CONNECT_ERROR
/// <c>{"message":"unauthorized","data":{"code":"token_expired"|"token_invalid"|"token_missing","message":...}}</c>,
/// and the events <c>subscribe</c>, <c>unsubscribe</c> and <c>publish</c>, each acknowledged with
/// <c>{"ok":true,...}</c> or <c>{"ok":false,"error":{"code","message"}}</c>. Publications reach a
/// subscribed socket as events named after the publication's event, with its data as the one argument.
/// </summary>
public sealed class SocketChannelEvents
{
    /// <summary>The event a client subscribes with.</summary>
    public const string Subscribe = "subscribe";
    /// <summary>The event a client unsubscribes with.</summary>
    public const string Unsubscribe = "unsubscribe";
    /// <summary>The event a client publishes with.</summary>
    public const string Publish = "publish";

    /// <summary>
    /// Sent by the server to a channel's members on this node when the channel's history changed under them
    /// (a new epoch after Redis lost it, or offsets that went back after a failover):
    /// <c>{ channel, offset, epoch }</c>, where live delivery goes on from. What came before may be gone.
    /// </summary>
    public const string Discontinuity = "discontinuity";

    /// <summary>The <see cref="Socket.Data"/> key of the socket's grant; kept with the data across connection state recovery.</summary>
    internal const string GrantKey = "switchboard:channel-grant";

    private readonly IChannelAuthorizer _authorizer;
    private readonly ILogger _logger;

    /// <summary>The channel events, with grants from <paramref name="authorizer"/>.</summary>
    /// <param name="authorizer">Turns the client's token into a grant.</param>
    /// <param name="logger">Where failures are logged; none when null.</param>
    public SocketChannelEvents(IChannelAuthorizer authorizer, ILogger? logger = null)
    {
        _authorizer = authorizer;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Adds the middleware and the three events to <paramref name="nsp"/>.</summary>
    public Namespace Attach(Namespace nsp)
    {
        nsp.Channels.LiveDiscontinuity += (channel, from) =>
        {
            SocketChannelLog.DiscontinuitySent(_logger, nsp.Name, channel, from);
            // Local: every node tells its own members; a signal, not a publication (never stored).
            _ = nsp.Local.To(channel).EmitAsync(Discontinuity, new DiscontinuityNotice(channel, from.Offset, from.Epoch)).AsTask();
        };
        return nsp
            .Use(AuthorizeAsync)
            .On(Subscribe, SubscribeAsync)
            .On(Unsubscribe, UnsubscribeAsync)
            .On(Publish, PublishAsync);
    }

    private async ValueTask AuthorizeAsync(Socket socket, Func<ValueTask> next)
    {
        var result = SocketHandshakeToken.TryRead(socket.Handshake, out var token)
            ? await _authorizer.AuthorizeAsync(token).ConfigureAwait(false)
            : ChannelAuthResult.Refuse(ChannelAuthFailure.Invalid, "auth.token must be a string.");
        if (result.Grant is not { } grant)
        {
            var failure = result.Failure ?? ChannelAuthFailure.Invalid;
            if (socket.Namespace.Server.Engine.Refusals.ShouldLog(_logger, $"socket.io channel connect refused {failure}"))
            {
                SocketChannelLog.ConnectRefused(_logger, socket.Connection.Id, socket.Namespace.Name, failure);
            }
            throw new SocketConnectException("unauthorized", new { code = failure.ToWireName(), message = result.Message ?? "Unauthorized" });
        }
        socket.Data[GrantKey] = grant;
        await next().ConfigureAwait(false);
    }

    private async ValueTask SubscribeAsync(SocketEvent e)
    {
        if (!SocketChannelRequests.TrySubscribe(e, out var request, out var error))
        {
            Refuse(e, error);
            return;
        }
        var grant = await GrantOfAsync(e.Socket).ConfigureAwait(false);
        if (grant?.CanSubscribe(request.Channel) != true)
        {
            Refuse(e, new SocketChannelError(SocketChannelError.Forbidden, $"Not allowed to subscribe to '{request.Channel}'."));
            return;
        }
        if (IsPrivateRoom(e.Socket, request.Channel))
        {
            Refuse(e, new SocketChannelError(SocketChannelError.Forbidden, $"'{request.Channel}' is a socket's private room."));
            return;
        }
        if (AtSubscriptionLimit(e.Socket, request.Channel) is { } limit)
        {
            e.Socket.Namespace.Server.Limits.Refused(SocketLimits.Kind.SubscriptionRefused, e.Socket.Id, limit);
            e.Ack(new SocketChannelRefusal(false, new SocketChannelError(SocketChannelError.TooManySubscriptions,
                $"At most {limit} subscriptions per socket; unsubscribe from some first.")));
            return;
        }
        try
        {
            var subscription = await e.Socket.SubscribeAsync(request.Channel, request.Since).ConfigureAwait(false);
            SocketChannelLog.Subscribed(_logger, e.Socket.Id, request.Channel, subscription.Top, subscription.Continuous);
            e.Ack(new SubscribeAccepted(true, request.Channel, subscription.Top.Offset, subscription.Top.Epoch, subscription.Continuous));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(e, request.Channel, ex);
        }
    }

    private ValueTask UnsubscribeAsync(SocketEvent e)
    {
        if (!SocketChannelRequests.TryUnsubscribe(e, out var channel, out var error))
        {
            Refuse(e, error);
        }
        else if (channel == e.Socket.Id)
        {
            Refuse(e, SocketChannelError.BadRequest("A socket cannot leave its own room."));
        }
        else
        {
            e.Socket.Leave(channel);
            e.Ack(new UnsubscribeAccepted(true, channel));
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask PublishAsync(SocketEvent e)
    {
        if (!SocketChannelRequests.TryPublish(e, out var request, out var error))
        {
            Refuse(e, error);
            return;
        }
        var grant = await GrantOfAsync(e.Socket).ConfigureAwait(false);
        if (grant?.CanPublish(request.Channel) != true)
        {
            Refuse(e, new SocketChannelError(SocketChannelError.Forbidden, $"Not allowed to publish on '{request.Channel}'."));
            return;
        }
        if (IsPrivateRoom(e.Socket, request.Channel))
        {
            Refuse(e, new SocketChannelError(SocketChannelError.Forbidden, $"'{request.Channel}' is a socket's private room."));
            return;
        }
        try
        {
            var result = await e.Socket.Namespace.Channels.PublishAsync([request.Channel], request.Event, [request.Data]).ConfigureAwait(false);
            var position = result.Positions[request.Channel];
            SocketChannelLog.Published(_logger, e.Socket.Id, request.Event, request.Channel, position);
            e.Ack(new PublishAccepted(true, request.Channel, position.Offset, position.Epoch));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Fail(e, request.Channel, ex);
        }
    }

    /// <summary>
    /// The limit, when a new subscription would pass <see cref="LimitOptions.MaxSubscriptionsPerSocket"/>:
    /// every room but the socket's own counts, a channel it is already in does not.
    /// </summary>
    private static int? AtSubscriptionLimit(Socket socket, string channel)
    {
        var max = socket.Namespace.Server.Options.Limits.MaxSubscriptionsPerSocket;
        if (max <= 0)
        {
            return null;
        }
        var (count, already) = socket.Namespace.Adapter.RoomCountOf(socket, channel);
        return !already && count - 1 >= max ? max : null;
    }

    /// <summary>A socket id names the room of that socket's private messages: not a channel to read or write.</summary>
    private static bool IsPrivateRoom(Socket socket, string channel) => socket.Namespace.Sockets.ContainsKey(channel);

    /// <summary>
    /// The grant the middleware stored; a socket that connected without it (recovered across a restart of
    /// the app's configuration, or attached before this feature) is asked about again.
    /// </summary>
    private async ValueTask<ChannelGrant?> GrantOfAsync(Socket socket)
    {
        if (socket.Data.TryGetValue(GrantKey, out var stored) && stored is ChannelGrant grant)
        {
            return grant;
        }
        if (!SocketHandshakeToken.TryRead(socket.Handshake, out var token))
        {
            return null;
        }
        var result = await _authorizer.AuthorizeAsync(token).ConfigureAwait(false);
        return result.Grant;
    }

    private void Refuse(SocketEvent e, SocketChannelError error)
    {
        if (e.Socket.Namespace.Server.Engine.Refusals.ShouldLog(_logger, $"socket.io channel {e.Name} refused {error.Code}"))
        {
            SocketChannelLog.Refused(_logger, e.Socket.Id, e.Name, error.Code, error.Message);
        }
        e.Ack(new SocketChannelRefusal(false, error));
    }

    private void Fail(SocketEvent e, string channel, Exception ex)
    {
        if (BackendFailure.IsUnavailable(ex))
        {
            // Redis is away: nothing was published or subscribed; the client may retry.
            SocketChannelLog.Unavailable(_logger, e.Socket.Id, e.Name, channel, ex.Message);
            e.Ack(new SocketChannelRefusal(false, new SocketChannelError(SocketChannelError.Unavailable,
                "The channel backend is unavailable; nothing was done. Retry later.")));
            return;
        }
        SocketChannelLog.Failed(_logger, e.Socket.Id, e.Name, channel, ex);
        e.Ack(new SocketChannelRefusal(false, new SocketChannelError(SocketChannelError.Internal, "The server could not complete the request.")));
    }
}

/// <summary>Serving channels to Socket.IO clients.</summary>
public static class SocketChannelEventsExtensions
{
    /// <summary>
    /// Serves channels to the Socket.IO clients of <paramref name="nsp"/> (see <see cref="SocketChannelEvents"/>),
    /// with the <see cref="IChannelAuthorizer"/> registered in <paramref name="services"/> (the allow-all
    /// default when none is).
    /// </summary>
    public static Namespace UseChannelEvents(this Namespace nsp, IServiceProvider services)
    {
        var authorizer = services.GetService<IChannelAuthorizer>() ?? new AllowAllChannelAuthorizer();
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Switchboard.SocketChannels");
        return new SocketChannelEvents(authorizer, logger).Attach(nsp);
    }

    /// <summary>Channel events on the main namespace <c>/</c>: <c>app.MapSocketIO("/socket.io", io => io.UseChannelEvents(app.Services))</c>.</summary>
    public static SocketServer UseChannelEvents(this SocketServer io, IServiceProvider services)
    {
        io.Main.UseChannelEvents(services);
        return io;
    }

    /// <summary>The grant the channel middleware gave this socket, or null when channel events are not in use.</summary>
    public static ChannelGrant? GetChannelGrant(this Socket socket) =>
        socket.Data.TryGetValue(SocketChannelEvents.GrantKey, out var grant) ? grant as ChannelGrant : null;
}
