using Microsoft.Extensions.DependencyInjection;

namespace Switchboard;

/// <summary>
/// What <c>services.AddSwitchboard()</c> returns: the place where backends plug in as extensions of
/// their own packages (<c>.AddInMemoryCluster(...)</c> here, <c>.AddRedis(...)</c> in Switchboard.Redis),
/// so the server's options stay plain data.
/// </summary>
public interface ISwitchboardBuilder
{
    /// <summary>The services Switchboard is registered in.</summary>
    IServiceCollection Services { get; }
}

/// <summary>The builder <c>AddSwitchboard</c> hands out (Switchboard.AspNetCore sees Core's internals).</summary>
internal sealed class SwitchboardBuilder(IServiceCollection services) : ISwitchboardBuilder
{
    public IServiceCollection Services { get; } = services;
}
