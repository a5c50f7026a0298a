using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// The receive path of parsers whose every packet is one Engine.IO message (socket.io-msgpack-parser):
/// the parser decodes the message into the JSON parser's form (data as JSON, binary values as
/// attachments), and from there it is handled as a reassembled JSON packet, under the same limits.
/// </summary>
internal sealed partial class SocketClient
{
    private void OnWholeMessage(in EnginePacket message)
    {
        if (!_server.Options.Parser.TryDecode(message.Data, message.IsBinary, out var parsed, out var attachments, out var error))
        {
            if (error == SocketPacketReader.PayloadTooDeep && parsed.Type == SocketPacketType.Connect)
            {
                // As for the JSON parser: a refusal the client can see, not a parse error.
                if (ShouldLog("socket.io connect refused"))
                {
                    _server.Log.ConnectRefused(Session.Id, parsed.Namespace, TooDeepMessage);
                }
                SendConnectError(parsed.Namespace, TooDeepMessage, null);
                return;
            }
            Fail($"{_server.Options.Parser.Name} parser: {error ?? "invalid packet"}");
            return;
        }
        // A DISCONNECT always goes through: dropping it would only keep the connection longer.
        if (!AdmitPacket(message.Data.Length) && parsed.Type != SocketPacketType.Disconnect)
        {
            DropOverLimit(parsed, attachments);
            return;
        }
        Handle(parsed, attachments);
    }
}
