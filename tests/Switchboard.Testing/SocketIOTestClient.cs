using System.Text.Json;

namespace Switchboard.Testing;

/// <summary>
/// A raw Socket.IO v5 client over an Engine.IO WebSocket: it speaks the wire format directly, so tests
/// assert exact packets. Engine.IO pings are answered automatically.
/// </summary>
public sealed class SocketIOTestClient : IAsyncDisposable
{
    private SocketIOTestClient(EngineWebSocketClient engine, JsonElement open)
    {
        Engine = engine;
        Open = open;
    }

    public EngineWebSocketClient Engine { get; }

    public JsonElement Open { get; }

    public string EngineSid => Open.GetProperty("sid").GetString()!;

    public static async Task<SocketIOTestClient> OpenAsync(TestHost host, string path = "/socket.io", bool autoPong = true)
    {
        var (engine, open) = await EngineWebSocketClient.HandshakeAsync(host.BaseAddress, path, autoPong);
        return new SocketIOTestClient(engine, open);
    }

    /// <summary>Opens a connection and joins <paramref name="nsp"/>; returns the client and its socket id.</summary>
    public static async Task<(SocketIOTestClient Client, string SocketId)> ConnectAsync(TestHost host, string nsp = "/", string? auth = null)
    {
        var client = await OpenAsync(host);
        var id = await client.JoinAsync(nsp, auth);
        return (client, id);
    }

    /// <summary>The namespace part of a packet: nothing for <c>/</c>, else the name and a comma.</summary>
    public static string Prefix(string nsp) => nsp == "/" ? "" : nsp + ",";

    /// <summary>Sends CONNECT and expects the CONNECT reply; returns the socket id it carries.</summary>
    public async Task<string> JoinAsync(string nsp = "/", string? auth = null)
    {
        await SendAsync($"40{Prefix(nsp)}{auth}");
        var reply = await ReceiveTextAsync();
        var expected = $"40{Prefix(nsp)}{{\"sid\":\"";
        Assert.True(reply.StartsWith(expected, StringComparison.Ordinal), $"Expected a CONNECT reply for {nsp}, got '{reply}'.");
        using var json = JsonDocument.Parse(reply[(2 + Prefix(nsp).Length)..]);
        var sid = json.RootElement.GetProperty("sid").GetString()!;
        Assert.NotEqual(EngineSid, sid);
        return sid;
    }

    public Task SendAsync(string text) => Engine.SendAsync(text);

    public Task SendAsync(byte[] binary) => Engine.SendAsync(binary);

    public Task<string> ReceiveTextAsync() => Engine.ReceiveTextAsync();

    public Task<byte[]> ReceiveBinaryAsync() => Engine.ReceiveBinaryAsync();

    public ValueTask DisposeAsync() => Engine.DisposeAsync();
}
