using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.AspNetCore.Tests.Infrastructure;
using Switchboard.SocketIO;

namespace Switchboard.AspNetCore.Tests.SocketIO;

public sealed class HostShutdownTests
{
    /// <summary>
    /// Stopping the host must end the Socket.IO connections (as socket.io's <c>io.close()</c> does) rather
    /// than leave Kestrel waiting for them until its shutdown timeout and then cutting them off.
    /// </summary>
    [Fact]
    public async Task Stopping_the_host_closes_connected_clients_with_server_shutting_down()
    {
        var requests = new RequestWatcher();
        await using var host = await TestHost.StartAsync(
            builder => builder.Services.AddSwitchboard(),
            app =>
            {
                requests.Install(app);
                app.MapSocketIO();
            },
            shutdownTimeout: TimeSpan.FromSeconds(8));
        var io = host.Services.GetRequiredService<SocketServer>();
        await using var ws = await SocketIOTestClient.OpenAsync(host);
        var socket = SocketIOFixture.ServerSocket(io.Main, await ws.JoinAsync("/"));
        var reason = new TaskCompletionSource<DisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.Disconnected += (_, r) => reason.TrySetResult(r);
        using var polling = new EnginePollingClient(host.BaseAddress, "/socket.io");
        await polling.HandshakeAsync();
        await polling.PostAsync("40");
        Assert.StartsWith("40{\"sid\":", Assert.Single(await polling.PollAsync()));
        var arrived = requests.WhenPollArrives(polling.Sid);
        var heldPoll = polling.GetAsync();
        await arrived;
        io.Engine.Sessions.Single(s => s.Id == polling.Sid).WaitUntilPollHeld();

        var stopping = host.StopAsync();

        Assert.Equal(DisconnectReason.ServerShuttingDown, await reason.Task.Within());
        await ws.Engine.WaitClosedAsync();
        using var released = await heldPoll;
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Equal("1", await released.Content.ReadAsStringAsync());
        await stopping.Within();
        host.Logs.AssertNoErrors();
    }
}
