using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.AspNetCore.Transports.Direct;

namespace Switchboard.AspNetCore.Tests.Direct;

/// <summary>
/// The handshakes the direct mode leaves to Kestrel's path although it could answer them, because the app's
/// pipeline decides about them (docs/deploy.md): a Host outside <c>AllowedHosts</c> (host filtering answers 400),
/// a handshake through a proxy (forwarded headers), and permessage-deflate asked of a server that offers it.
/// Each case also shows the same handshake without that trait is taken by the mode.
/// </summary>
public sealed class DirectHandshakePolicyTests : IAsyncLifetime
{
    private const string SocketIOTarget = "/socket.io/?EIO=4&transport=websocket";
    private const string PlainTarget = "/ws?token=all";
    private const string Deflate = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

    private TestHost _host = null!;

    private long Taken => _host.Services.GetRequiredService<DirectEndpoints>().Taken;

    public async Task InitializeAsync() =>
        _host = await TestHost.StartAsync(
            builder =>
            {
                builder.Configuration["AllowedHosts"] = "localhost;127.0.0.1";
                builder.Services.AddSingleton<Switchboard.Channels.IChannelAuthorizer, PlainWebSocket.TestChannelAuthorizer>();
                builder.Services.AddSwitchboard(o => o.Engine.PerMessageDeflate.Enabled = true);
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSwitchboardWebSockets()));
            },
            app =>
            {
                app.MapSocketIO("/socket.io");
                app.MapChannelWebSocket("/ws", configure: o => o.PerMessageDeflate.Enabled = true);
            });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(string Head, bool Taken)> HandshakeAsync(string target, string extraHeaders = "", string host = "127.0.0.1")
    {
        var before = Taken;
        var (socket, head) = await RawWebSocket.ConnectAsync(_host.BaseAddress, target, extraHeaders: extraHeaders, host: host);
        await using var _ = socket;
        return (head, Taken > before);
    }

    [Theory]
    [InlineData(SocketIOTarget)]
    [InlineData(PlainTarget)]
    public async Task A_host_outside_AllowedHosts_is_refused_by_host_filtering(string target)
    {
        var (head, taken) = await HandshakeAsync(target, host: "evil.example");
        Assert.StartsWith("HTTP/1.1 400 ", head);
        Assert.False(taken);

        (head, taken) = await HandshakeAsync(target, host: $"localhost:{_host.BaseAddress.Port}");
        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.True(taken, "an allowed host's handshake did not take the direct path");
    }

    [Theory]
    [InlineData("X-Forwarded-For: 203.0.113.7\r\n")]
    [InlineData("X-Forwarded-Proto: https\r\n")]
    [InlineData("Forwarded: for=203.0.113.7\r\n")]
    public async Task A_handshake_through_a_proxy_takes_kestrels_path(string forwarded)
    {
        var (head, taken) = await HandshakeAsync(SocketIOTarget, forwarded);
        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.False(taken, "a forwarded handshake was answered by the direct mode");
    }

    [Theory]
    [InlineData(SocketIOTarget)]
    [InlineData(PlainTarget)]
    public async Task Permessage_deflate_asked_of_a_server_that_offers_it_is_negotiated_on_kestrels_path(string target)
    {
        var (head, taken) = await HandshakeAsync(target, Deflate);
        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.Contains("permessage-deflate", head, StringComparison.OrdinalIgnoreCase);
        Assert.False(taken);

        (head, taken) = await HandshakeAsync(target);
        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.DoesNotContain("permessage-deflate", head, StringComparison.OrdinalIgnoreCase);
        Assert.True(taken, "a handshake without the extension did not take the direct path");
    }
}
