using System.ComponentModel;
using Switchboard.Engine;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// The wire format of Socket.IO packets on a server (socket.io's <c>parser</c> option), chosen with
/// <see cref="SocketServerOptions.Parser"/>: <see cref="Json"/> (the default, socket.io-parser's text
/// packets with binary attachments) or <see cref="MsgPack"/> (socket.io-msgpack-parser). Every client of
/// the server must use the same one. Packets are encoded as JSON once, as the rest of the server keeps
/// them (recovery, cluster, history); another format is transcoded from it at the edge, once per packet
/// (docs/parsers.md). From configuration, the names <c>json</c> and <c>msgpack</c>.
/// </summary>
[TypeConverter(typeof(SocketParserConverter))]
public abstract class SocketParser
{
    private protected SocketParser()
    {
    }

    /// <summary>socket.io-parser: text packets, binary values as attachments. The default.</summary>
    public static SocketParser Json { get; } = new JsonSocketParser();

    /// <summary>socket.io-msgpack-parser: each packet one MessagePack map in one binary message.</summary>
    public static SocketParser MsgPack { get; } = new MsgPackSocketParser();

    /// <summary>The name configuration uses: <c>json</c> or <c>msgpack</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The parser named <paramref name="name"/> (<c>json</c>, <c>msgpack</c>; any case), or null.</summary>
    public static SocketParser? FromName(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "json" or "default" => Json,
        "msgpack" or "messagepack" => MsgPack,
        _ => null,
    };

    /// <summary>The parser's name, as configured (<c>json</c>, <c>msgpack</c>).</summary>
    public override string ToString() => Name;

    /// <summary>Whether every packet is one Engine.IO message (no attachments following it).</summary>
    internal abstract bool DecodesWholeMessages { get; }

    /// <summary>Decodes a whole-message packet into the JSON parser's form (see <see cref="DecodesWholeMessages"/>).</summary>
    internal abstract bool TryDecode(ReadOnlyMemory<byte> message, bool isBinary, out SocketPacket packet, out ReadOnlyMemory<byte>[] attachments, out string? error);

    /// <summary>The frame that carries an encoded packet to a client of this parser.</summary>
    internal abstract OutboundFrame Frame(EncodedPacket packet);

    /// <summary>The frame of a control packet (CONNECT, CONNECT_ERROR, DISCONNECT) whose data is raw JSON.</summary>
    internal abstract OutboundFrame Control(SocketPacketType type, string nsp, ReadOnlySpan<byte> json = default);
}
