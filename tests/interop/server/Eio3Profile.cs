using Switchboard.SocketIO;

/// <summary>
/// What eio3.test.mjs needs beyond the shared scenarios: Engine.IO v3 allowed (with
/// <c>--Interop:AllowEIO3=true</c>), a ping timeout short enough to wait for, and a room that hears of
/// every disconnect of <c>/</c> with its reason.
/// </summary>
internal static class Eio3Profile
{
    /// <summary>Members of this room get <c>gone</c> (socket id, reason) for every socket of <c>/</c> that disconnects.</summary>
    public const string Watchers = "eio3-watchers";

    public static void ConfigureOptions(SocketServerOptions options, IConfiguration configuration)
    {
        if (!configuration.GetValue<bool>("Interop:AllowEIO3"))
        {
            return;
        }
        options.Engine.AllowEIO3 = true;
        // A client that stops pinging is gone after interval + timeout: 3 s.
        options.Engine.PingTimeout = TimeSpan.FromSeconds(2);
    }

    public static void Configure(SocketServer io)
    {
        if (!io.Engine.Options.AllowEIO3)
        {
            return;
        }
        io.Main.OnConnection(socket => socket.Disconnected += (gone, reason) =>
            _ = io.To(Watchers).EmitAsync("gone", gone.Id, reason.ToWireName()));
    }
}
