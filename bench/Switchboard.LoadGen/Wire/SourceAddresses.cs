using System.Net;
using System.Net.Sockets;

namespace Switchboard.LoadGen.Wire;

/// <summary>
/// Client sockets bound round-robin to several loopback source addresses (127.0.0.2 …), so that
/// tens of thousands of connections to one server port do not run out of the ~28k ephemeral ports of
/// a single source address. IP_BIND_ADDRESS_NO_PORT defers the choice of port to connect(), so a
/// port is only taken for the 4-tuple actually used.
/// </summary>
internal static class SourceAddresses
{
    private const int SolIp = 0;
    private const int IpBindAddressNoPort = 24;

    private static IPAddress[] s_addresses = Make(8);
    private static int s_next;

    public static int Count => s_addresses.Length;

    public static void Configure(int count) => s_addresses = Make(Math.Clamp(count, 1, 250));

    public static IPAddress Next() => s_addresses[(int)((uint)Interlocked.Increment(ref s_next) % (uint)s_addresses.Length)];

    public static Socket NewSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Bind(socket);
        return socket;
    }

    public static void Bind(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
        }
        socket.Bind(new IPEndPoint(Next(), 0));
    }

    private static IPAddress[] Make(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new IPAddress(new byte[] { 127, 0, 0, (byte)(2 + i) }))];
}
