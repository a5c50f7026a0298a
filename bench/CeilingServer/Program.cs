using System.Net;
using System.Net.Sockets;
using Switchboard.Bench.Ceiling;

// The "ceiling": the least work a server can do for the bench app, to show how close a real server
// comes to the machine's limit. Raw sockets, its own minimal RFC 6455 framing, just enough of the
// Engine.IO / Socket.IO handshake for the load generator, no heartbeat, and a publish writes one
// pre-built frame to every member of the room. Also serves the same rooms as Server-Sent Events at
// /sse?room=NAME. Not a server for anything else. With --corked, the frames a publisher's read
// produces are queued per recipient and written with one send per recipient ("corked ceiling").
// Usage: CeilingServer [port] [--corked] (default port 5203).
var port = args.Length > 0 && args[0] != "--corked" ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5203;
var corked = args.Contains("--corked");
using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
listener.Listen(4096);
Console.WriteLine(corked ? "listening (corked)" : "listening");

var rooms = new RoomTable(corked);
AppDomain.CurrentDomain.ProcessExit += (_, _) => listener.Close();
while (true)
{
    Socket socket;
    try
    {
        socket = await listener.AcceptAsync();
    }
    catch (SocketException)
    {
        break;
    }
    catch (ObjectDisposedException)
    {
        break;
    }
    socket.NoDelay = true;
    _ = new CeilingConnection(socket, rooms).RunAsync();
}
