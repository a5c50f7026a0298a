using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Switchboard.Channels;

/// <summary>Where a single node keeps its channels' history.</summary>
public static class SwitchboardChannelBuilderExtensions
{
    /// <summary>
    /// Keeps channel history in <paramref name="store"/> instead of memory (a cluster's bus keeps its own,
    /// <see cref="Cluster.IClusterBus.History"/>, and this is then not used). The last store registered wins.
    /// </summary>
    public static ISwitchboardBuilder AddChannelStore(this ISwitchboardBuilder builder, Func<IServiceProvider, IChannelStore> store)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(store);
        builder.Services.Replace(ServiceDescriptor.Singleton(store));
        return builder;
    }

    /// <summary>As <see cref="AddChannelStore(ISwitchboardBuilder, Func{IServiceProvider, IChannelStore})"/> with a store the caller made (and disposes).</summary>
    public static ISwitchboardBuilder AddChannelStore(this ISwitchboardBuilder builder, IChannelStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return builder.AddChannelStore(_ => store);
    }
}
