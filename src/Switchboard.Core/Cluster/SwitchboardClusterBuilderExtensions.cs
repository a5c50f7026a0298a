using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Switchboard.Cluster;

/// <summary>Joining the server to a cluster (docs/cluster.md).</summary>
public static class SwitchboardClusterBuilderExtensions
{
    /// <summary>
    /// Links the server with the other nodes of a cluster through <paramref name="bus"/>; the bus also owns
    /// the channels' history (<see cref="IClusterBus.History"/>). The last cluster registered wins.
    /// </summary>
    public static ISwitchboardBuilder AddCluster(this ISwitchboardBuilder builder, Func<IServiceProvider, IClusterBus> bus)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(bus);
        builder.Services.Replace(ServiceDescriptor.Singleton(bus));
        return builder;
    }

    /// <summary>As <see cref="AddCluster(ISwitchboardBuilder, Func{IServiceProvider, IClusterBus})"/> with a bus the caller made (and disposes).</summary>
    public static ISwitchboardBuilder AddCluster(this ISwitchboardBuilder builder, IClusterBus bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        return builder.AddCluster(_ => bus);
    }

    /// <summary>
    /// Makes the server a node of <paramref name="cluster"/>, a cluster whose nodes all live in this process
    /// (tests, several servers in one process). The node leaves the cluster when the host's services are disposed.
    /// </summary>
    /// <param name="builder">The Switchboard registration.</param>
    /// <param name="cluster">The cluster the node joins; one object shared by every node.</param>
    /// <param name="nodeId">The node's id; a random one when null.</param>
    public static ISwitchboardBuilder AddInMemoryCluster(this ISwitchboardBuilder builder, InMemoryCluster cluster, string? nodeId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cluster);
        builder.Services.TryAddSingleton(sp => cluster.Join(nodeId, sp.GetService<ILoggerFactory>()));
        return builder.AddCluster(sp => sp.GetRequiredService<InMemoryClusterBus>());
    }
}
