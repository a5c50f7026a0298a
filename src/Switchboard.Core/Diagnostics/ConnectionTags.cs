using System.Diagnostics;
using Switchboard.Protocols;

namespace Switchboard.Diagnostics;

/// <summary>
/// The attributes of one kind of connection, built once and shared by every connection of that kind, so
/// that counting a connection's messages allocates nothing: <see cref="Wire"/> (protocol and transport)
/// for the per-message instruments, <see cref="Full"/> (and the namespace) for connections and disconnects.
/// </summary>
internal sealed class ConnectionTags
{
    public ConnectionTags(string protocol, string transport, string? nsp = null)
    {
        Protocol = protocol;
        Transport = transport;
        Namespace = nsp;
        Wire = [new(SwitchboardMetrics.ProtocolTag, protocol), new(SwitchboardMetrics.TransportTag, transport)];
        Full = nsp is null ? Wire : [.. Wire, new(SwitchboardMetrics.NamespaceTag, nsp)];
    }

    public string Protocol { get; }

    public string Transport { get; }

    public string? Namespace { get; }

    public KeyValuePair<string, object?>[] Wire { get; }

    public KeyValuePair<string, object?>[] Full { get; }

    /// <summary>The full attributes and a disconnect code (on the stack, no allocation).</summary>
    public TagList WithCode(DisconnectCode code)
    {
        var list = new TagList(Full.AsSpan())
        {
            { SwitchboardMetrics.CodeTag, code.Code },
        };
        return list;
    }
}
