using System.Text.Json;
using Switchboard.Channels;
using Switchboard.Protocols;
using Switchboard.Protocols.SocketIO;

namespace Switchboard.SocketIO;

internal sealed partial class SocketClient
{
    /// <summary>
    /// Runs unawaited from the receive path, so it never throws: whatever fails is logged and answered
    /// with a CONNECT_ERROR, and the client is not left waiting for the connect timeout.
    /// </summary>
    private async Task ConnectAsync(string name, ReadOnlyMemory<byte> data)
    {
        try
        {
            await JoinAsync(name, data).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _server.Log.ConnectFailed(Session.Id, name, ex);
            SendConnectError(name, "Internal server error", null);
        }
    }

    private async Task JoinAsync(string name, ReadOnlyMemory<byte> data)
    {
        JsonElement auth;
        try
        {
            auth = data.IsEmpty ? EmptyAuth : ParseAuth(data);
        }
        catch (JsonException ex)
        {
            // The packet reader validated this payload with the same limits; kept as a safety net.
            if (ShouldLog("socket.io connect refused"))
            {
                _server.Log.ConnectRefused(Session.Id, name, ex.Message);
            }
            SendConnectError(name, "Invalid payload", null);
            return;
        }
        var nsp = await _server.ResolveNamespaceAsync(name, auth).ConfigureAwait(false);
        if (nsp is null)
        {
            if (ShouldLog("socket.io invalid namespace"))
            {
                _server.Log.InvalidNamespace(Session.Id, name);
            }
            SendConnectError(name, "Invalid namespace", null);
            return;
        }
        var (recovering, epoch, seq) = await TryTakeRecoverySessionAsync(nsp, auth).ConfigureAwait(false);
        Socket socket;
        lock (_sockets)
        {
            if (_sockets.Find(name) is not null)
            {
                return;
            }
            socket = new Socket(nsp, this, new SocketHandshake(Session.Request, auth), recovering);
            _sockets.Add(name, socket);
        }
        try
        {
            await nsp.ConnectAsync(socket, epoch, seq).ConfigureAwait(false);
            if (!_everConnected)
            {
                _everConnected = true;
                _server.ConnectTimeoutLane.Cancel(_connectTimeoutTicket);
            }
        }
        catch (Exception ex)
        {
            lock (_sockets)
            {
                _sockets.Remove(name);
            }
            var refusal = ex as SocketConnectException;
            if (refusal is null)
            {
                _server.Log.HandlerFailed(socket.Id, "connect", ex);
            }
            if (ShouldLog("socket.io connect refused"))
            {
                _server.Log.ConnectRefused(Session.Id, name, ex.Message);
            }
            SendRefusal(name, refusal?.Message ?? "Internal server error", refusal?.ErrorData);
        }
    }

    private static JsonElement ParseAuth(ReadOnlyMemory<byte> data)
    {
        using var document = JsonDocument.Parse(data, JsonLimits.DocumentOptions);
        return document.RootElement.Clone();
    }

    private static readonly string TooDeepMessage = $"Invalid payload: JSON nested deeper than {JsonLimits.MaxDepth} levels";

    /// <summary>The session a reconnecting client asks to recover (<c>{"pid":...,"offset":...}</c> in its auth), if it can be.</summary>
    private static async ValueTask<(RecoverableSession? Session, string Epoch, long Seq)> TryTakeRecoverySessionAsync(Namespace nsp, JsonElement auth)
    {
        if (nsp.Recovery is not { } store || auth.ValueKind != JsonValueKind.Object
            || !TryGetString(auth, "pid", out var pid) || !TryGetString(auth, "offset", out var offset))
        {
            return (null, "", 0);
        }
        var session = await store.TryTakeAsync(pid).ConfigureAwait(false);
        if (session is null)
        {
            return (null, "", 0);
        }
        if (!ChannelHub.TryParseOffset(offset, out var epoch, out var seq))
        {
            store.Remove(session);
            return (null, "", 0);
        }
        return (session, epoch, seq);
    }

    /// <summary>A string property of the client's auth; false when missing, not a string, or not valid UTF-8 (which a client can send escaped).</summary>
    private static bool TryGetString(JsonElement auth, string name, out string value)
    {
        value = "";
        if (!auth.TryGetProperty(name, out var property) || property.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        try
        {
            value = property.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private void SendConnectError(string nsp, string message, object? data)
    {
        var json = data is null
            ? JsonSerializer.SerializeToUtf8Bytes(new ConnectError(message), SocketJson.Options)
            : JsonSerializer.SerializeToUtf8Bytes(new ConnectErrorWithData(message, data), SocketJson.Options);
        Session.Send(_server.Options.Parser.Control(SocketPacketType.ConnectError, nsp, json));
    }

    private sealed record ConnectError(string Message);

    private sealed record ConnectErrorWithData(string Message, object Data);
}
