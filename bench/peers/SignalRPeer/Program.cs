using Microsoft.AspNetCore.SignalR;
using Switchboard.Bench;

// The SignalR peer: the bench app as a hub at /hub, JSON hub protocol, default options (keep-alive
// 15 s, client timeout 30 s). Usage: SignalRPeer [port] (default 5202).
var builder = BenchHosting.CreateBuilder(args, 5202);
builder.Services.AddSignalR();

var app = builder.Build();
app.MapHub<BenchHub>("/hub");
app.MapDebugStats(typeof(Hub).Assembly);
app.RunUntilStopped();

/// <summary>Join(room) → "ok"; Publish(room, payload) sends msg(payload) to the group; Echo(payload) → payload.</summary>
internal sealed class BenchHub : Hub
{
    public async Task<string> Join(string room)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, room);
        return "ok";
    }

    public Task Publish(string room, string payload) => Clients.Group(room).SendAsync("msg", payload);

    public string Echo(string payload) => payload;
}
