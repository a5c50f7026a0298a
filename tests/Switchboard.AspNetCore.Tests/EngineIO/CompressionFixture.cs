using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Tests.PlainWebSocket;
using Switchboard.Channels;
using Switchboard.Engine;
using Switchboard.Protocols.EngineIO;
using Switchboard.Protocols;

namespace Switchboard.AspNetCore.Tests.EngineIO;

/// <summary>
/// Echo engines for the compression tests: <c>/engine.io</c> with permessage-deflate on and the default
/// HTTP compression, <c>/plain</c> with both off; plain WebSocket endpoints <c>/ws-deflate</c> (on) and
/// <c>/ws</c> (default, off).
/// </summary>
public sealed class CompressionFixture : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await TestHost.StartAsync(
            builder =>
            {
                builder.Services.AddSingleton<IChannelAuthorizer, TestChannelAuthorizer>();
                builder.Services.AddSwitchboard(o => o.Engine.PerMessageDeflate.Enabled = true);
            },
            app =>
            {
                // Socket.IO with deflate on: "big" answers with the same large text three times, compressed,
                // with socket.Compress(false), and as a broadcast with Compress(false).
                app.MapSocketIO("/socket.io", io => io.Main.On("big", async e =>
                {
                    var text = e.Arg<string>(0);
                    e.Socket.Emit("big", text);
                    e.Socket.Compress(false).Emit("big", text);
                    await io.In(e.Socket.Id).Compress(false).EmitAsync("big", text);
                }));
                app.MapEngineIO("/engine.io", Echo, o => o.PerMessageDeflate.Enabled = true);
                app.MapEngineIO("/plain", Echo, o => o.HttpCompression.Enabled = false);
                app.MapChannelWebSocket("/ws-deflate", configure: o => o.PerMessageDeflate.Enabled = true);
                app.MapChannelWebSocket("/ws");
            });
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    private static void Echo(EngineSession session) => session.Handler = new EchoHandler();

    private sealed class EchoHandler : IEngineSessionHandler
    {
        public void OnMessage(EngineSession session, EnginePacket packet) => session.SendText(packet.Data.Span);

        public void OnClose(EngineSession session, DisconnectCode reason)
        {
        }
    }
}
