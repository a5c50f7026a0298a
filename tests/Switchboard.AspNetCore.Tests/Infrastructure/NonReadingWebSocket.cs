using System.Net.Sockets;
using System.Net.WebSockets;

namespace Switchboard.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A client WebSocket for clients that stop reading: a small TCP receive buffer (which also turns off
/// its autotuning), so that what the server sends soon fills what the network holds and its writes block.
/// </summary>
public sealed class NonReadingWebSocket : IDisposable
{
    private readonly HttpMessageInvoker _invoker;

    private NonReadingWebSocket(HttpMessageInvoker invoker, ClientWebSocket socket)
    {
        _invoker = invoker;
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    public static async Task<NonReadingWebSocket> ConnectAsync(Uri url)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var invoker = new HttpMessageInvoker(handler);
        var client = new ClientWebSocket();
        try
        {
            await client.ConnectAsync(url, invoker, CancellationToken.None).Within();
        }
        catch
        {
            client.Dispose();
            invoker.Dispose();
            throw;
        }
        return new NonReadingWebSocket(invoker, client);
    }

    /// <summary>
    /// An Engine.IO client on the small receive buffer that joins <c>/</c> at <paramref name="baseAddress"/>'s
    /// <c>/socket.io</c>, asks the test app to mark it as stalled (<c>stall</c>, acked <c>ok</c>), then never reads again.
    /// </summary>
    public static async Task<NonReadingWebSocket> ConnectStalledEngineAsync(Uri baseAddress)
    {
        var client = await ConnectAsync(EngineWebSocketClient.Url(baseAddress, "/socket.io"));
        var socket = client.Socket;
        Assert.StartsWith("0", await ReceiveTextAsync(socket));
        await SendAsync(socket, "40");
        Assert.StartsWith("40", await ReceiveTextAsync(socket));
        await SendAsync(socket, "421[\"stall\"]");
        Assert.Equal("431[\"ok\"]", await ReceiveTextAsync(socket));
        return client;
    }

    /// <summary>Reads (and drops) what the server sent until the connection ends; false if it is still open after 10 s of silence.</summary>
    public async Task<bool> ReceiveUntilClosedAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return true;
                }
            }
        }
        catch (WebSocketException)
        {
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).Within();

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None).Within();
        Assert.True(result.EndOfMessage);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    public void Dispose()
    {
        Socket.Dispose();
        _invoker.Dispose();
    }
}
