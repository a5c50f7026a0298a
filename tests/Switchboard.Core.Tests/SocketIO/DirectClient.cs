using System.Net;
using System.Text;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.SocketIO;
using Switchboard.Protocols;

namespace Switchboard.Core.Tests.SocketIO;

/// <summary>
/// A Socket.IO client wired straight to a <see cref="SocketServer"/>'s Engine.IO session, with no HTTP in
/// between (as SignalR's HubConnectionHandler tests drive a hub over an in-memory connection): it hands the
/// session the packets a WebSocket transport would, and reads the frames the session queues for it.
/// Texts are whole Engine.IO packets as on a WebSocket: <c>40</c>, <c>42["e",1]</c>.
/// </summary>
internal sealed class DirectClient : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private DirectClient(EngineSession session) => Session = session;

    public EngineSession Session { get; }

    /// <summary>Opens an Engine.IO v4 session over "WebSocket" (nothing to poll) on the server.</summary>
    public static DirectClient Open(SocketServer server)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal) { ["EIO"] = "4", ["transport"] = "websocket" };
        var request = new EngineRequest("/socket.io/?EIO=4&transport=websocket", query, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
            IPAddress.Loopback, false, DateTimeOffset.UtcNow);
        return new DirectClient(server.Engine.Open(EngineTransportKind.WebSocket, request));
    }

    /// <summary>Opens a session and joins <paramref name="nsp"/>; returns the client and its socket id.</summary>
    public static async Task<(DirectClient Client, string Sid)> ConnectAsync(SocketServer server, string nsp = "/")
    {
        var client = Open(server);
        var prefix = nsp == "/" ? "" : nsp + ",";
        client.Send("40" + prefix);
        var reply = await client.ReceiveAsync();
        Assert.StartsWith("40" + prefix + "{\"sid\":\"", reply);
        var sid = reply[(prefix.Length + 10)..reply.IndexOf('"', prefix.Length + 10)];
        return (client, sid);
    }

    /// <summary>Hands the session one text packet as its transport would (the Engine.IO type first).</summary>
    public bool Send(string packet)
    {
        var type = (EnginePacketType)(packet[0] - '0');
        return Session.Receive(new EnginePacket(type, Encoding.UTF8.GetBytes(packet[1..])));
    }

    /// <summary>The next text frame the server queued for this client (heartbeat pings are skipped).</summary>
    public async Task<string> ReceiveAsync()
    {
        var frame = await ReceiveFrameAsync();
        Assert.False(frame.IsBinary, "expected a text frame");
        return Encoding.UTF8.GetString(frame.Data.Span);
    }

    /// <summary>The next frame the server queued for this client, as the transport would write it (pings skipped).</summary>
    public async Task<OutboundFrame> ReceiveFrameAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            while (Session.Outbound.TryRead(out var frame))
            {
                if (!frame.Data.Span.SequenceEqual("2"u8))
                {
                    return frame;
                }
            }
            if (!await Session.Outbound.WaitToReadAsync(timeout.Token))
            {
                throw new InvalidOperationException($"The session closed ({Session.CloseCode}) before a frame came.");
            }
        }
    }

    public void Dispose() => Session.Close(DisconnectCode.ClientClosed);
}
