// The conformance profile: the exact server the Engine.IO and Socket.IO protocol test suites expect.
// Start it with: dotnet run --project samples/ProtocolConformance -- --urls http://127.0.0.1:3000
using Switchboard.AspNetCore;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols;

var builder = WebApplication.CreateBuilder(args);

void Profile(EngineOptions engine)
{
    engine.PingInterval = TimeSpan.FromMilliseconds(300);
    engine.PingTimeout = TimeSpan.FromMilliseconds(200);
    engine.MaxPayload = 1_000_000;
}

builder.Services.AddSwitchboard(options =>
{
    Profile(options.Engine);
    options.ConnectTimeout = TimeSpan.FromMilliseconds(1000);
});

var app = builder.Build();

// A bare Engine.IO endpoint that sends every message straight back to its sender.
app.MapEngineIO("/engine.io", session => session.Handler = new EchoHandler(), Profile);

app.MapSocketIO("/socket.io", io =>
{
    var main = io.Main;
    var custom = io.Of("/custom");
    foreach (var nsp in new[] { main, custom })
    {
        nsp.OnConnection(socket => socket.Emit("auth", socket.Handshake.Auth));
    }
    main.On("message", e => e.Socket.Emit("message-back", e.Args));
    main.On("message-with-ack", e => e.Ack(e.Args));
});

app.Run();

internal sealed class EchoHandler : IEngineSessionHandler
{
    public void OnMessage(EngineSession session, EnginePacket packet)
    {
        if (packet.IsBinary)
        {
            session.SendBinary(packet.Data);
        }
        else
        {
            session.SendText(packet.Data.Span);
        }
    }

    public void OnClose(EngineSession session, DisconnectCode reason)
    {
    }
}
