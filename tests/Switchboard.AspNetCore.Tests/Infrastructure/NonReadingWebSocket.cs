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

    public void Dispose()
    {
        Socket.Dispose();
        _invoker.Dispose();
    }
}
