using System.Text.Json;
using Switchboard.Engine;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

/// <summary>
/// What differs for a client on Engine.IO v3, which speaks revision 4 of the Socket.IO protocol
/// (socket.io-client 2.x; docs/engine-io-v3.md), as socket.io 4 serves it with <c>allowEIO3</c>.
/// </summary>
internal sealed partial class SocketClient
{
    /// <summary>The main namespace is joined without waiting for the client's CONNECT, which a 2.x client never sends for it.</summary>
    private void ConnectMainImplicitly() => _ = ConnectAsync("/", default);

    /// <summary>
    /// A CONNECT of revision 4 carries no payload: its query rides in the namespace
    /// (<c>0/chat?token=abc,</c>) and becomes the handshake's auth, <c>{"token":"abc"}</c>.
    /// </summary>
    private Task ConnectV3Async(string nspWithQuery)
    {
        var question = nspWithQuery.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            return ConnectAsync(nspWithQuery, default);
        }
        return ConnectAsync(nspWithQuery[..question], QueryAsAuth(nspWithQuery.AsSpan(question + 1)));
    }

    /// <summary>A query string as a JSON object of strings (the last value of a repeated name wins, as in Node's <c>Object.fromEntries</c>).</summary>
    internal static byte[] QueryAsAuth(ReadOnlySpan<char> query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (pair.IsEmpty)
            {
                continue;
            }
            var equals = pair.IndexOf('=');
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            values.Remove(name);
            values[name] = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
        }
        return JsonSerializer.SerializeToUtf8Bytes(values, SocketJson.Options);
    }

    /// <summary>URL form decoding, as URLSearchParams does it: <c>+</c> is a space, percent escapes are UTF-8.</summary>
    private static string Decode(ReadOnlySpan<char> component)
    {
        var text = component.ToString().Replace('+', ' ');
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }

    /// <summary>In revision 4 a socket's id is the Engine.IO session's id on <c>/</c>, and <c>nsp#sessionId</c> elsewhere, as socket.io 4 gives v3 clients.</summary>
    internal static string V3SocketId(Namespace nsp, EngineSession session) =>
        nsp.Name == "/" ? session.Id : nsp.Name + "#" + session.Id;

    /// <summary>
    /// A middleware's refusal. Revision 4 has no <c>{message, data}</c> shape: the packet (type 4, an
    /// ERROR to a 2.x client, which emits it as <c>error</c>) carries the data, or else the message.
    /// </summary>
    private void SendRefusal(string nsp, string message, object? data)
    {
        if (Session.Protocol != 3)
        {
            SendConnectError(nsp, message, data);
            return;
        }
        var json = data is null
            ? JsonSerializer.SerializeToUtf8Bytes(message, SocketJson.Options)
            : JsonSerializer.SerializeToUtf8Bytes(data, data.GetType(), SocketJson.Options);
        Session.SendEncodedMessage(PacketEncoder.Control(SocketPacketType.ConnectError, nsp, json));
    }
}
