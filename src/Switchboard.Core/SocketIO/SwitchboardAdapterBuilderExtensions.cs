using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Switchboard.SocketIO;

/// <summary>Giving each namespace an adapter of the application's own (a <see cref="SocketAdapter"/> subclass).</summary>
public static class SwitchboardAdapterBuilderExtensions
{
    /// <summary>
    /// Makes the adapter of each namespace with <paramref name="factory"/> (socket.io's <c>adapter</c> option),
    /// instead of the in-memory <see cref="SocketAdapter"/>. A cluster is not an adapter here: use
    /// <c>.AddRedis(...)</c> or <c>.AddCluster(bus)</c>. The last factory registered wins.
    /// </summary>
    /// <param name="builder">The Switchboard registration.</param>
    /// <param name="factory">Makes a namespace's adapter from the container's services and the namespace.</param>
    public static ISwitchboardBuilder AddAdapter(this ISwitchboardBuilder builder, Func<IServiceProvider, Namespace, SocketAdapter> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(sp => new SocketAdapterFactory(nsp => factory(sp, nsp))));
        return builder;
    }

    /// <summary>As <see cref="AddAdapter(ISwitchboardBuilder, Func{IServiceProvider, Namespace, SocketAdapter})"/> with a factory that needs no services.</summary>
    public static ISwitchboardBuilder AddAdapter(this ISwitchboardBuilder builder, Func<Namespace, SocketAdapter> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return builder.AddAdapter((_, nsp) => factory(nsp));
    }
}

/// <summary>The factory <see cref="SwitchboardAdapterBuilderExtensions.AddAdapter(ISwitchboardBuilder, Func{Namespace, SocketAdapter})"/> registers, read by <c>AddSwitchboard</c>.</summary>
internal sealed record SocketAdapterFactory(Func<Namespace, SocketAdapter> Create);
