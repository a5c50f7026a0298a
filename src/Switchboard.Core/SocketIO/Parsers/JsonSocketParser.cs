using Switchboard.Engine;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>socket.io-parser, the default: the packets are the server's canonical encoding, sent as they are.</summary>
internal sealed class JsonSocketParser : SocketParser
{
    public override string Name => "json";

    internal override bool DecodesWholeMessages => false;

    // SocketClient reassembles text packets and their attachments itself.
    internal override bool TryDecode(ReadOnlyMemory<byte> message, bool isBinary, out SocketPacket packet, out ReadOnlyMemory<byte>[] attachments, out string? error) =>
        throw new NotSupportedException("The JSON parser decodes packets across messages.");

    internal override OutboundFrame Frame(EncodedPacket packet) => OutboundFrame.Text(packet.Message, packet.Attachments);

    internal override OutboundFrame Control(SocketPacketType type, string nsp, ReadOnlySpan<byte> json = default) =>
        OutboundFrame.Text(PacketEncoder.Control(type, nsp, json));
}
