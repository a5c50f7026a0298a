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
}
