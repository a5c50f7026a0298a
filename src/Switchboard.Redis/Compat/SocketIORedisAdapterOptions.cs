namespace Switchboard.Redis.Compat;

/// <summary>Settings of <see cref="SocketIORedisAdapterBridge"/> (docs/redis-adapter-compat.md).</summary>
public sealed record SocketIORedisAdapterOptions
{
    /// <summary>The adapter's channel prefix, its <c>key</c> option: channels are <c>{Key}#{nsp}#</c>. Default <c>socket.io</c>.</summary>
    public string Key { get; init; } = "socket.io";

    /// <summary>
    /// Whether to subscribe to the request channels and answer the requests of Node servers (rooms, fetch,
    /// join, leave, disconnect, broadcasts with acknowledgements). Needs <see cref="SocketIORedisAdapterBridge.ServeRequests"/>.
    /// Default true.
    /// </summary>
    public bool AnswerRequests { get; init; } = true;
}
