using Microsoft.Extensions.Time.Testing;
using Switchboard.SocketIO;

namespace Switchboard.Cluster.Tests.Contract;

/// <summary>The contract on <see cref="InMemoryClusterBus"/>: nodes of one <see cref="InMemoryCluster"/> in this process.</summary>
public sealed class InMemoryClusterBusContractTests : ClusterBusContract
{
    private readonly InMemoryCluster _cluster = new();

    protected override Task<IClusterBus> CreateBusAsync() => Task.FromResult<IClusterBus>(_cluster.Join());

    protected override Task ReadyAsync(IClusterBus bus) => Task.CompletedTask;

    protected override async Task LeaveAsync(IClusterBus bus) => await ((InMemoryClusterBus)bus).DisposeAsync();

    protected override Task KillAsync(IClusterBus bus) => LeaveAsync(bus);

    protected override string CannotDieWithoutLeaving => "every node lives in this process: a node's end is its bus's disposal, which leaves the cluster at once";

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _cluster.Dispose();
    }

    [Fact]
    public async Task A_connected_socket_s_session_outlives_its_node_for_a_minute_as_with_redis()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cluster = new InMemoryCluster(time);
        var a = cluster.Join("a");
        var b = cluster.Join("b");
        var c = cluster.Join("c");
        a.Sessions.Save(Nsp, new RecoverableSession("p1", "s1"));
        a.Sessions.Save(Nsp, new RecoverableSession("p2", "s2"));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal("s1", (await b.Sessions.TryTakeAsync(Nsp, "p1"))?.SocketId);

        await a.DisposeAsync();
        time.Advance(TimeSpan.FromSeconds(61));

        // p2 was a's alone: gone a minute after a left. p1 is b's now, and b lives.
        Assert.Null(await c.Sessions.TryTakeAsync(Nsp, "p2"));
        Assert.Equal("s1", (await c.Sessions.TryTakeAsync(Nsp, "p1"))?.SocketId);
        await b.DisposeAsync();
        await c.DisposeAsync();
    }
}
