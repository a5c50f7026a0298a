namespace Switchboard;

/// <summary>How a broadcast is delivered.</summary>
[Flags]
public enum BroadcastFlags
{
    /// <summary>Every targeted socket, through the cluster when there is one.</summary>
    None = 0,

    /// <summary>Skip recipients whose connection cannot take the packet right now.</summary>
    Volatile = 1,

    /// <summary>Only this node's sockets, even under a cluster adapter.</summary>
    Local = 2,

    /// <summary>Compression asked for (socket.io's <c>compress(true)</c>, its default): with permessage-deflate on, every message over its threshold is compressed (docs/engine.md).</summary>
    Compress = 4,

    /// <summary>socket.io's <c>compress(false)</c>: the packet goes uncompressed even over the permessage-deflate threshold.</summary>
    NoCompress = 8,
}

/// <summary>Who a broadcast or bulk operation targets: sockets in any of <see cref="Rooms"/> (all when empty) and in none of <see cref="Except"/>.</summary>
public sealed record BroadcastOptions(IReadOnlyCollection<string> Rooms, IReadOnlyCollection<string> Except, BroadcastFlags Flags = BroadcastFlags.None)
{
    /// <summary>Every socket of the namespace.</summary>
    public static readonly BroadcastOptions All = new([], []);

    /// <summary>Whether only this node's sockets are targeted.</summary>
    public bool IsLocal => (Flags & BroadcastFlags.Local) != 0;

    /// <summary>Whether recipients that cannot take the packet now are skipped.</summary>
    public bool IsVolatile => (Flags & BroadcastFlags.Volatile) != 0;

    /// <summary>Whether the packet goes uncompressed.</summary>
    public bool IsUncompressed => (Flags & BroadcastFlags.NoCompress) != 0;
}
